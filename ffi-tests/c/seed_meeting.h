/*
 * The seed meeting (the UCM's "Weekly_Meeting" in Etc/GMT-1) under meeting
 * id `id`: written once, used by the demo, the C tests and the bench
 * programs, so that every one pushes the same event. Include it after
 * gs_gcal.h (or push_one.c's stand-in types).
 */
#ifndef GS_BENCH_SEED_MEETING_H
#define GS_BENCH_SEED_MEETING_H

#include <string.h>

static void seed_meeting(gs_gcal_meeting *m, const char *id) {
    static const gs_gcal_person invitees[4] = {
        {"1001", "john.doe@mycompanyabc.com", 0},
        {"1002", NULL, 0},
        {"1003", "jane.roe@partner.example", 0},
        {"1004", NULL, 0},
    };
    memset(m, 0, sizeof *m);
    m->struct_size = sizeof *m;
    m->meeting_id = id;
    m->subject = "Weekly_Meeting";
    m->start = "2024-04-29T10:00";
    m->end = "11:00";
    m->time_zone = "Etc/GMT-1";
    m->room = "6300";
    m->agenda = "Status of all projects";
    m->host.name = "1000";
    m->host.email = "host1000@mycompanyabc.com";
    m->invitees = invitees;
    m->invitee_count = 4;
    m->email_reminder_minutes = 60;
}

#endif
