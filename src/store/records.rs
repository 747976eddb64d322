//! What is on disk: the state file (format 1) and the outbox journal's
//! lines (format 2), written straight from the domain types (`state`,
//! `outbox`, `meeting`) with `json::Writer` and read back from a parsed
//! tree with `Fields`. The domain may change; the disk format changes only
//! with a new format version and a tested upgrade (tests/fixtures/ holds
//! files written by earlier builds).
//!
//! The layout is the one serde's derive wrote for 0.1.0's record structs
//! (kept in `oracle`, the tests' reference): members in the order below,
//! `None` written as `null` unless said to be omitted, enums externally
//! tagged (`"Never"`, `{"Count":3}`). Never rename a member. Every number
//! read is range-checked here, so the rest of the library can trust the
//! domain.

use super::fields::{int_of, tagged, unit, Emit, Fields, Res};
use crate::json::{Value, Writer};
use crate::meeting::recurrence::{End, Freq, MonthlyBy, Repeat};
use crate::meeting::{Meeting, Person};
use crate::outbox::{Change, Entry, MeetingId, Op};
use crate::state::{ClientConfig, DeviceAuth, Parked, PendingAuth, Pushed, Revocation, ServiceAccount, SetAside, State, Tokens};
use std::collections::BTreeMap;

/// The state file's format. 1: 0.1.0's layout (set_aside added, optional).
pub(crate) const STATE_FORMAT: u32 = 1;
/// The journal's format. 1: lines without a header (0.1.0); 2: a header
/// line `{"journal":2,"next_seq":N}` first, then the lines of 1 and
/// `batch` lines (several changes of one step, all or nothing).
pub(crate) const JOURNAL_FORMAT: u32 = 2;

/// Latest time accepted from disk: 9999-12-31T23:59:59Z. Anything beyond
/// is a crafted or damaged file.
pub(super) const MAX_TIME: i64 = 253_402_300_799;

pub(super) fn time(field: &str, v: i64) -> Result<i64, String> {
    if (0..=MAX_TIME).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{field} = {v} is not a time between 1970 and 9999"))
    }
}

pub(super) fn opt_time(field: &str, v: Option<i64>) -> Result<Option<i64>, String> {
    v.map(|t| time(field, t)).transpose()
}

/// `key` then `null`, or an object `body` writes the members of.
fn nullable_object<T>(w: &mut Writer, key: &str, v: Option<&T>, body: impl FnOnce(&mut Writer, &T)) {
    w.key(key);
    match v {
        None => w.null(),
        Some(v) => {
            w.begin_object();
            body(w, v);
            w.end_object();
        }
    }
}

/// `key` then an array of objects, `body` writing each one's members.
fn object_list<T>(w: &mut Writer, key: &str, items: &[T], mut body: impl FnMut(&mut Writer, &T)) {
    w.key(key);
    w.begin_array();
    for v in items {
        w.begin_object();
        body(w, v);
        w.end_object();
    }
    w.end_array();
}

// --- the state file ------------------------------------------------------

/// The state file, members in the order of 0.1.0's `StateRecord`;
/// `set_aside`, `zone_substitutions` and `service_account` are omitted
/// when empty (older readers never saw them).
pub(crate) fn write_state(w: &mut Writer, s: &State) {
    w.begin_object();
    w.uint_field("version", u64::from(STATE_FORMAT));
    nullable_object(w, "client", s.client.as_ref(), |w, c| {
        w.str_field("client_id", &c.client_id);
        w.str_field("client_secret", c.client_secret.expose());
        w.str_field("redirect_uri", &c.redirect_uri);
    });
    object_list(w, "pending", &s.pending, |w, p| {
        w.str_field("state", &p.state);
        w.str_field("code_verifier", p.code_verifier.expose());
        w.int_field("created_at", p.created_at);
    });
    nullable_object(w, "tokens", s.tokens.as_ref(), |w, t| {
        w.str_field("access_token", t.access_token.expose());
        w.int_field("access_expires_at", t.access_expires_at);
        w.str_field("refresh_token", t.refresh_token.expose());
        w.str_field("scope", &t.scope);
        w.int_field("authorized_at", t.authorized_at);
        w.nullable_int("authorized_at_google", t.authorized_at_google);
        w.nullable_int("refreshed_at", t.refreshed_at);
    });
    w.nullable_str("account", s.account.as_deref());
    w.nullable_str("reauth_required", s.reauth_required.as_deref());
    w.key("used_codes");
    w.begin_array();
    for c in &s.used_codes {
        w.string(c);
    }
    w.end_array();
    object_list(w, "pending_revocations", &s.pending_revocations, |w, r| {
        w.str_field("refresh_token", r.refresh_token.expose());
        w.nullable_str("account", r.account.as_deref());
    });
    nullable_object(w, "device", s.device.as_ref(), |w, d| {
        w.str_field("device_code", d.device_code.expose());
        w.str_field("user_code", &d.user_code);
        w.str_field("verification_url", &d.verification_url);
        w.int_field("expires_at", d.expires_at);
        w.uint_field("interval", u64::from(d.interval));
        w.str_field("scopes", &d.scopes);
    });
    w.key("generations");
    w.begin_object();
    for (k, n) in &s.generations {
        w.uint_field(k, u64::from(*n));
    }
    w.end_object();
    w.key("pushed");
    w.begin_object();
    for (k, p) in &s.pushed {
        w.key(k);
        w.begin_object();
        w.str_field("event_id", &p.event_id);
        w.int_field("written_ms", p.written_ms);
        w.opt_string("calendar", p.calendar.as_deref());
        w.end_object();
    }
    w.end_object();
    w.nullable_int("quota_pause_until", s.quota_pause_until);
    object_list(w, "parked", &s.parked, |w, p| {
        w.str_field("meeting_id", &p.meeting_id);
        w.nullable_str("occurrence", p.occurrence.as_deref());
        w.str_field("op", &p.op);
        w.int_field("code", i64::from(p.code));
        w.str_field("message", &p.message);
        w.int_field("at", p.at);
    });
    if !s.set_aside.is_empty() {
        object_list(w, "set_aside", &s.set_aside, |w, a| {
            w.str_field("file", &a.file);
            w.str_field("what", &a.what);
            w.int_field("at", a.at);
        });
    }
    if !s.zone_substitutions.is_empty() {
        w.key("zone_substitutions");
        w.begin_object();
        for (k, v) in &s.zone_substitutions {
            w.str_field(k, v);
        }
        w.end_object();
    }
    if let Some(a) = &s.service_account {
        nullable_object(w, "service_account", Some(a), |w, a| {
            w.str_field("client_email", &a.client_email);
            w.str_field("client_id", &a.client_id);
            w.str_field("private_key_id", &a.private_key_id);
            w.str_field("private_key", a.private_key.expose());
            w.str_field("token_uri", &a.token_uri);
            w.nullable_str("project_id", a.project_id.as_deref());
            w.str_field("default_subject", &a.default_subject);
        });
    }
    w.end_object();
}

/// The state from a state file's members (its `version` read by the
/// caller); every member but `version` may be missing. Numbers are
/// range-checked afterwards (`check_state`), as 0.1.0 did.
pub(crate) fn read_state(f: &mut Fields) -> Res<State> {
    let client = match f.opt_object("client", "client")? {
        None => None,
        Some(mut c) => Some(ClientConfig {
            client_id: c.string("client_id")?,
            client_secret: c.secret("client_secret")?,
            redirect_uri: c.string("redirect_uri")?,
        }),
    };
    let mut pending = Vec::new();
    for v in f.default_list("pending")? {
        let mut p = Fields::of(v, "pending")?;
        pending.push(PendingAuth { state: p.string("state")?, code_verifier: p.secret("code_verifier")?, created_at: p.int("created_at")? });
    }
    let tokens = match f.opt_object("tokens", "tokens")? {
        None => None,
        Some(mut t) => Some(Tokens {
            access_token: t.secret("access_token")?,
            access_expires_at: t.int("access_expires_at")?,
            refresh_token: t.secret("refresh_token")?,
            scope: t.string("scope")?,
            authorized_at: t.int("authorized_at")?,
            authorized_at_google: t.opt_int("authorized_at_google")?,
            refreshed_at: t.opt_int("refreshed_at")?,
        }),
    };
    let account = f.opt_string("account")?;
    let reauth_required = f.opt_string("reauth_required")?;
    let mut used_codes = Vec::new();
    for v in f.default_list("used_codes")? {
        match v {
            Value::String(s) => used_codes.push(std::mem::take(s)),
            _ => return Err("used_codes".into()),
        }
    }
    let mut pending_revocations = Vec::new();
    for v in f.default_list("pending_revocations")? {
        let mut r = Fields::of(v, "pending_revocations")?;
        pending_revocations.push(Revocation { refresh_token: r.secret("refresh_token")?, account: r.opt_string("account")? });
    }
    let device = match f.opt_object("device", "device")? {
        None => None,
        Some(mut d) => Some(DeviceAuth {
            device_code: d.secret("device_code")?,
            user_code: d.string("user_code")?,
            verification_url: d.string("verification_url")?,
            expires_at: d.int("expires_at")?,
            interval: d.int("interval")?,
            scopes: d.default_string("scopes")?,
        }),
    };
    let mut generations = BTreeMap::new();
    for (k, v) in f.default_map("generations")? {
        generations.insert(k, int_of(&v).ok_or("generations")?);
    }
    let mut pushed = BTreeMap::new();
    for (k, mut v) in f.default_map("pushed")? {
        let mut p = Fields::of(&mut v, "pushed")?;
        let p = Pushed { event_id: p.string("event_id")?, written_ms: p.int("written_ms")?, calendar: p.opt_string("calendar")? };
        pushed.insert(k, p);
    }
    let quota_pause_until = f.opt_int("quota_pause_until")?;
    let mut parked = Vec::new();
    for v in f.default_list("parked")? {
        let mut p = Fields::of(v, "parked")?;
        parked.push(Parked {
            meeting_id: p.string("meeting_id")?,
            occurrence: p.opt_string("occurrence")?,
            op: p.string("op")?,
            code: p.int("code")?,
            message: p.string("message")?,
            at: p.int("at")?,
        });
    }
    let mut set_aside = Vec::new();
    for v in f.default_list("set_aside")? {
        let mut a = Fields::of(v, "set_aside")?;
        set_aside.push(SetAside { file: a.string("file")?, what: a.string("what")?, at: a.int("at")? });
    }
    let mut zone_substitutions = BTreeMap::new();
    for (k, v) in f.default_map("zone_substitutions")? {
        match v {
            Value::String(s) => zone_substitutions.insert(k, s),
            _ => return Err("zone_substitutions".into()),
        };
    }
    let service_account = match f.opt_object("service_account", "service_account")? {
        None => None,
        Some(mut a) => Some(ServiceAccount {
            client_email: a.string("client_email")?,
            client_id: a.string("client_id")?,
            private_key_id: a.string("private_key_id")?,
            private_key: a.secret("private_key")?,
            token_uri: a.string("token_uri")?,
            project_id: a.opt_string("project_id")?,
            default_subject: a.string("default_subject")?,
        }),
    };
    Ok(State {
        client,
        pending,
        tokens,
        account,
        reauth_required,
        used_codes,
        pending_revocations,
        device,
        generations,
        pushed,
        quota_pause_until,
        parked,
        set_aside,
        zone_substitutions,
        service_account,
    })
}

/// Every number of a state read from disk in range, checked in 0.1.0's
/// order; the error names the field (never a secret).
pub(crate) fn check_state(s: &State) -> Result<(), String> {
    if let Some(t) = &s.tokens {
        time("tokens.access_expires_at", t.access_expires_at)?;
        time("tokens.authorized_at", t.authorized_at)?;
        opt_time("tokens.authorized_at_google", t.authorized_at_google)?;
        opt_time("tokens.refreshed_at", t.refreshed_at)?;
    }
    for p in &s.pending {
        time("pending.created_at", p.created_at)?;
    }
    if let Some(d) = &s.device {
        if d.interval > 3600 {
            return Err(format!("device.interval = {} is over 3600 seconds", d.interval));
        }
        time("device.expires_at", d.expires_at)?;
    }
    for p in s.pushed.values() {
        if !(0..=MAX_TIME.saturating_mul(1000)).contains(&p.written_ms) {
            return Err(format!("pushed.written_ms = {} is out of range", p.written_ms));
        }
    }
    for p in &s.parked {
        time("parked.at", p.at)?;
    }
    for a in &s.set_aside {
        time("set_aside.at", a.at)?;
    }
    opt_time("quota_pause_until", s.quota_pause_until)?;
    Ok(())
}

// --- the outbox journal --------------------------------------------------

/// The first line of a format-2 journal. `next_seq` keeps sequence numbers
/// from being reused after compaction drops the highest ones.
pub(crate) fn write_header(w: &mut Writer, next_seq: u64) {
    w.begin_object();
    w.uint_field("journal", u64::from(JOURNAL_FORMAT));
    w.uint_field("next_seq", next_seq);
    w.end_object();
}

/// A header line's (format, next_seq); None when the line is not one (it
/// is then read as a change). No other member is allowed (0.1.0's
/// `deny_unknown_fields`); a missing `next_seq` is 0.
pub(crate) fn read_header(v: &Value) -> Option<(u32, u64)> {
    let m = v.as_object()?;
    if m.keys().any(|k| k != "journal" && k != "next_seq") {
        return None;
    }
    let journal = int_of(m.get("journal")?)?;
    let next_seq = match m.get("next_seq") {
        None => 0,
        Some(n) => n.as_u64()?,
    };
    Some((journal, next_seq))
}

/// One change line: `{"put":{entry}}` or `{"del":seq}`.
pub(crate) fn write_change(w: &mut Writer, c: &Change) {
    match c {
        Change::Put(e) => write_put(w, e),
        Change::Del(s) => {
            w.begin_object();
            w.uint_field("del", *s);
            w.end_object();
        }
    }
}

pub(crate) fn write_put(w: &mut Writer, e: &Entry) {
    w.begin_object();
    w.key("put");
    write_entry(w, e);
    w.end_object();
}

/// The changes of one step, applied in order, all or nothing (format 2).
pub(crate) fn write_batch(w: &mut Writer, changes: &[Change]) {
    w.begin_object();
    w.key("batch");
    w.begin_array();
    for c in changes {
        write_change(w, c);
    }
    w.end_array();
    w.end_object();
}

/// A change read from a journal line.
#[derive(Debug, PartialEq)]
pub(crate) enum LineChange {
    /// An entry; None when it was readable but out of range (that change
    /// alone is lost, and the line counts as damaged).
    Put(u64, Option<Entry>),
    Del(u64),
}

/// Appends the changes of one line (`put`, `del`, or a `batch` of them) to
/// `out` in order; Err when the line is not one readable record (then
/// none of it applies). `next_seq` is raised past every sequence number
/// read, even in a line that turns out unreadable: never reused.
pub(crate) fn read_line(v: &mut Value, out: &mut Vec<LineChange>, next_seq: &mut u64) -> Res<()> {
    let mut seen = |s: u64| *next_seq = (*next_seq).max(s.saturating_add(1));
    match tagged(v) {
        Some(("put", Some(e))) => {
            let mut f = Fields::of(e, "put")?;
            let seq = f.u64("seq")?;
            seen(seq);
            out.push(LineChange::Put(seq, read_entry(seq, &mut f)?));
        }
        Some(("del", Some(s))) => {
            let s = s.as_u64().ok_or("del")?;
            seen(s);
            out.push(LineChange::Del(s));
        }
        Some(("batch", Some(Value::Array(a)))) => {
            for v in a {
                read_line(v, out, next_seq)?;
            }
        }
        _ => return Err("line".into()),
    }
    Ok(())
}

/// An entry, members in the order of 0.1.0's `EntryRecord`.
fn write_entry(w: &mut Writer, e: &Entry) {
    w.begin_object();
    w.uint_field("seq", e.seq);
    w.str_field("meeting_id", &e.meeting_id);
    w.nullable_str("occurrence", e.occurrence.as_deref());
    w.key("op");
    w.begin_object();
    match &e.op {
        Op::Push(m) => {
            w.key("Push");
            write_meeting(w, m);
        }
        Op::Cancel { time_zone } => nullable_object(w, "Cancel", Some(time_zone), |w, z| w.nullable_str("time_zone", z.as_deref())),
    }
    w.end_object();
    w.int_field("enqueued_at", e.enqueued_at);
    w.uint_field("attempts", u64::from(e.attempts));
    w.int_field("next_attempt_at", e.next_attempt_at);
    w.bool_field("maybe_sent", e.maybe_sent);
    w.key("last_error");
    match &e.last_error {
        None => w.null(),
        Some((code, message)) => {
            w.begin_array();
            w.int(i64::from(*code));
            w.string(message);
            w.end_array();
        }
    }
    w.end_object();
}

/// The entry after its `seq`; Ok(None) when it is readable but a time or
/// date is out of range (the rest of its line still applies, as in 0.1.0).
fn read_entry(seq: u64, f: &mut Fields) -> Res<Option<Entry>> {
    let mut in_range = true;
    let meeting_id = f.string("meeting_id")?;
    let occurrence = f.opt_string("occurrence")?;
    let op = match f.get("op").and_then(tagged) {
        Some(("Push", Some(m))) => Op::Push(Box::new(read_meeting(&mut Fields::of(m, "op.Push")?, &mut in_range)?)),
        Some(("Cancel", Some(c))) => Op::Cancel { time_zone: Fields::of(c, "op.Cancel")?.opt_string("time_zone")? },
        _ => return Err("op".into()),
    };
    let mut e = Entry {
        seq,
        meeting_id: MeetingId::new(meeting_id),
        occurrence,
        op,
        enqueued_at: f.int("enqueued_at")?,
        attempts: f.int("attempts")?,
        next_attempt_at: f.int("next_attempt_at")?,
        maybe_sent: f.bool("maybe_sent")?,
        last_error: match f.get("last_error") {
            None | Some(Value::Null) => None,
            Some(Value::Array(a)) => match &mut a[..] {
                [code, Value::String(message)] => Some((int_of(code).ok_or("last_error")?, std::mem::take(message))),
                _ => return Err("last_error".into()),
            },
            Some(_) => return Err("last_error".into()),
        },
        bytes: 0,
    };
    in_range &= time("enqueued_at", e.enqueued_at).is_ok() && time("next_attempt_at", e.next_attempt_at).is_ok();
    if !in_range {
        return Ok(None);
    }
    e.bytes = e.approx_bytes();
    Ok(Some(e))
}

fn write_person(w: &mut Writer, p: &Person) {
    w.str_field("name", &p.name);
    w.nullable_str("email", p.email.as_deref());
}

fn read_person(f: &mut Fields) -> Res<Person> {
    Ok(Person { name: f.string("name")?, email: f.opt_string("email")? })
}

/// A meeting, members in the order of 0.1.0's `MeetingRecord`.
fn write_meeting(w: &mut Writer, m: &Meeting) {
    w.begin_object();
    w.str_field("meeting_id", &m.meeting_id);
    w.str_field("subject", &m.subject);
    w.str_field("start", &m.start);
    w.str_field("end", &m.end);
    w.str_field("time_zone", &m.time_zone);
    w.nullable_str("room", m.room.as_deref());
    w.nullable_str("agenda", m.agenda.as_deref());
    nullable_object(w, "host", m.host.as_ref(), write_person);
    object_list(w, "invitees", &m.invitees, write_person);
    w.uint_field("email_reminder_minutes", u64::from(m.email_reminder_minutes));
    // A password not shared with invitees is never sent, so it is never
    // stored either.
    w.nullable_str("participant_password", m.participant_password.as_deref().filter(|_| m.share_participant_password));
    w.bool_field("share_participant_password", m.share_participant_password);
    nullable_object(w, "repeat", m.repeat.as_ref(), |w, r| {
        let freq = match r.freq {
            Freq::Daily => "Daily",
            Freq::Weekly => "Weekly",
            Freq::Monthly => "Monthly",
            Freq::Yearly => "Yearly",
        };
        w.str_field("freq", freq);
        w.uint_field("interval", u64::from(r.interval));
        w.uint_field("weekdays", u64::from(r.weekdays));
        let by = match r.monthly_by {
            MonthlyBy::DayOfMonth => "DayOfMonth",
            MonthlyBy::NthWeekday => "NthWeekday",
        };
        w.str_field("monthly_by", by);
        w.key("end");
        match r.end {
            End::Never => w.string("Never"),
            End::Count(n) => {
                w.begin_object();
                w.uint_field("Count", u64::from(n));
                w.end_object();
            }
            // (year, day of the year): how 0.1.0 wrote a `time::Date`.
            End::Until(d) => {
                w.begin_object();
                w.key("Until");
                w.begin_array();
                w.int(i64::from(d.year()));
                w.uint(u64::from(d.ordinal()));
                w.end_array();
                w.end_object();
            }
        }
    });
    w.nullable_str("occurrence", m.occurrence.as_deref());
    w.end_object();
}

/// The meeting; its fields are validated again (`meeting::prepare`)
/// before anything is sent, so only what cannot be represented fails (a
/// repeat's end that is not a date: `in_range` false).
fn read_meeting(f: &mut Fields, in_range: &mut bool) -> Res<Meeting> {
    let meeting_id = f.string("meeting_id")?;
    let subject = f.string("subject")?;
    let start = f.string("start")?;
    let end = f.string("end")?;
    let time_zone = f.string("time_zone")?;
    let room = f.opt_string("room")?;
    let agenda = f.opt_string("agenda")?;
    let host = match f.opt_object("host", "op.Push.host")? {
        None => None,
        Some(mut p) => Some(read_person(&mut p)?),
    };
    let mut invitees = Vec::new();
    for v in f.list("invitees")? {
        invitees.push(read_person(&mut Fields::of(v, "op.Push.invitees")?)?);
    }
    let email_reminder_minutes = f.int("email_reminder_minutes")?;
    let participant_password = f.opt_string("participant_password")?;
    let share_participant_password = f.bool("share_participant_password")?;
    let repeat = match f.opt_object("repeat", "op.Push.repeat")? {
        None => None,
        Some(mut r) => Some(read_repeat(&mut r, in_range)?),
    };
    Ok(Meeting {
        meeting_id,
        subject,
        start,
        end,
        time_zone,
        room,
        agenda,
        host,
        invitees,
        email_reminder_minutes,
        participant_password: participant_password.filter(|_| share_participant_password),
        share_participant_password,
        repeat,
        occurrence: f.opt_string("occurrence")?,
    })
}

fn read_repeat(f: &mut Fields, in_range: &mut bool) -> Res<Repeat> {
    let freq = match f.get("freq").and_then(tagged) {
        Some(("Daily", c)) if unit(&c) => Freq::Daily,
        Some(("Weekly", c)) if unit(&c) => Freq::Weekly,
        Some(("Monthly", c)) if unit(&c) => Freq::Monthly,
        Some(("Yearly", c)) if unit(&c) => Freq::Yearly,
        _ => return Err("op.Push.repeat.freq".into()),
    };
    let interval = f.int("interval")?;
    let weekdays = f.int("weekdays")?;
    let monthly_by = match f.get("monthly_by").and_then(tagged) {
        Some(("DayOfMonth", c)) if unit(&c) => MonthlyBy::DayOfMonth,
        Some(("NthWeekday", c)) if unit(&c) => MonthlyBy::NthWeekday,
        _ => return Err("op.Push.repeat.monthly_by".into()),
    };
    let bad = || String::from("op.Push.repeat.end");
    let end = match f.get("end").and_then(tagged) {
        Some(("Never", c)) if unit(&c) => End::Never,
        Some(("Count", Some(n))) => End::Count(int_of(n).ok_or_else(bad)?),
        Some(("Until", Some(Value::Array(a)))) => match &a[..] {
            [y, d] => {
                let (y, d) = (int_of::<i32>(y).ok_or_else(bad)?, int_of::<u16>(d).ok_or_else(bad)?);
                match time::Date::from_ordinal_date(y, d) {
                    Ok(date) => End::Until(date),
                    Err(_) => {
                        *in_range = false;
                        End::Never
                    }
                }
            }
            _ => return Err(bad()),
        },
        _ => return Err(bad()),
    };
    Ok(Repeat { freq, interval, weekdays, monthly_by, end })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::fields::line;
    use super::super::oracle;
    use super::super::{parse_state, state_bytes, Parsed};
    use super::*;
    use crate::json::parse;
    use crate::secret::Secret;

    /// Strings that need escapes, or none.
    const ODD: &str = "é \"q\" \\ \n\t\u{1}\u{7f} 😀 </script>";

    pub(crate) fn rich_state() -> State {
        State {
            client: Some(ClientConfig { client_id: "id.apps".into(), client_secret: Secret::new(format!("s3cret{ODD}")), redirect_uri: "https://p/cb".into() }),
            pending: vec![
                PendingAuth { state: "st1".into(), code_verifier: Secret::new("v1"), created_at: 1_700_000_000 },
                PendingAuth { state: ODD.into(), code_verifier: Secret::new(ODD), created_at: 0 },
            ],
            tokens: Some(Tokens {
                access_token: Secret::new("ya29.x"),
                access_expires_at: MAX_TIME,
                refresh_token: Secret::new("1//r"),
                scope: "openid email".into(),
                authorized_at: 1,
                authorized_at_google: Some(2),
                refreshed_at: None,
            }),
            account: Some("a@b.c".into()),
            reauth_required: Some(ODD.into()),
            used_codes: vec!["c1".into(), ODD.into()],
            pending_revocations: vec![
                Revocation { refresh_token: Secret::new("old"), account: None },
                Revocation { refresh_token: Secret::new("old2"), account: Some("x@y".into()) },
            ],
            device: Some(DeviceAuth {
                device_code: Secret::new("dc"),
                user_code: "ABCD-EFGH".into(),
                verification_url: "https://g/device".into(),
                expires_at: 5,
                interval: 3600,
                scopes: "calendar".into(),
            }),
            generations: [("m1".to_owned(), 0u32), (ODD.to_owned(), u32::MAX)].into_iter().collect(),
            pushed: [
                ("m1".to_owned(), Pushed { event_id: "e1".into(), written_ms: 0, calendar: None }),
                ("m2".to_owned(), Pushed { event_id: ODD.into(), written_ms: MAX_TIME * 1000, calendar: Some("u@d".into()) }),
            ]
            .into_iter()
            .collect(),
            quota_pause_until: Some(17),
            parked: vec![Parked { meeting_id: "m".into(), occurrence: Some("2024-01-01T10:00".into()), op: "push".into(), code: -5, message: ODD.into(), at: 3 }],
            set_aside: vec![SetAside { file: "/d/f.corrupt-1".into(), what: ODD.into(), at: 4 }],
            zone_substitutions: [("Asia/Calcutta".to_owned(), "Asia/Kolkata".to_owned())].into_iter().collect(),
            service_account: Some(ServiceAccount {
                client_email: "sa@p.iam".into(),
                client_id: "1".into(),
                private_key_id: "k".into(),
                private_key: Secret::new("-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n"),
                token_uri: "https://oauth2/token".into(),
                project_id: None,
                default_subject: "boss@d".into(),
            }),
        }
    }

    fn states() -> Vec<State> {
        let rich = rich_state();
        let plain = State { set_aside: vec![], zone_substitutions: BTreeMap::new(), service_account: None, ..rich.clone() };
        let mut other = rich.clone();
        other.service_account.as_mut().unwrap().project_id = Some("p".into());
        other.tokens.as_mut().unwrap().refreshed_at = Some(9);
        other.tokens.as_mut().unwrap().authorized_at_google = None;
        other.client = None;
        other.device = None;
        vec![State::default(), rich, plain, other]
    }

    fn meeting(repeat: Option<Repeat>) -> Meeting {
        Meeting {
            meeting_id: "6300-1".into(),
            subject: ODD.into(),
            start: "2024-10-07T09:00".into(),
            end: "10:00".into(),
            time_zone: "Europe/Berlin".into(),
            room: Some("R1".into()),
            agenda: None,
            host: Some(Person { name: "1001".into(), email: Some("h@x".into()) }),
            invitees: vec![Person { name: "1002".into(), email: None }, Person { name: ODD.into(), email: Some("i@x".into()) }],
            email_reminder_minutes: 15,
            participant_password: Some("4321".into()),
            share_participant_password: true,
            repeat,
            occurrence: Some("2024-10-14T09:00".into()),
        }
    }

    /// An entry of every op, repeat and end variant.
    pub(crate) fn entries() -> Vec<Entry> {
        let until = time::Date::from_ordinal_date(2025, 181).unwrap();
        let mut repeats = vec![None];
        for (i, freq) in [Freq::Daily, Freq::Weekly, Freq::Monthly, Freq::Yearly].into_iter().enumerate() {
            for monthly_by in [MonthlyBy::DayOfMonth, MonthlyBy::NthWeekday] {
                for end in [End::Never, End::Count(10), End::Until(until)] {
                    repeats.push(Some(Repeat { freq, interval: 1 + i as u32, weekdays: 0b101_0101, monthly_by, end }));
                }
            }
        }
        let mut ops: Vec<Op> = repeats.into_iter().map(|r| Op::Push(Box::new(meeting(r)))).collect();
        ops.push(Op::Push(Box::new(Meeting { host: None, invitees: vec![], share_participant_password: false, participant_password: None, ..meeting(None) })));
        ops.push(Op::Push(Box::default()));
        ops.push(Op::Cancel { time_zone: None });
        ops.push(Op::Cancel { time_zone: Some("Etc/GMT-1".into()) });
        ops.into_iter()
            .enumerate()
            .map(|(i, op)| {
                let mut e = Entry {
                    seq: if i == 0 { u64::MAX } else { i as u64 },
                    meeting_id: MeetingId::new(format!("m{i}")),
                    occurrence: (i % 2 == 0).then(|| "2024-10-14T09:00".into()),
                    op,
                    enqueued_at: i as i64,
                    attempts: if i == 1 { u32::MAX } else { i as u32 },
                    next_attempt_at: MAX_TIME - i as i64,
                    maybe_sent: i % 3 == 0,
                    last_error: match i % 3 {
                        0 => None,
                        1 => Some((-1, ODD.into())),
                        _ => Some((402, "later".into())),
                    },
                    bytes: 0,
                };
                e.bytes = e.approx_bytes();
                e
            })
            .collect()
    }

    /// What `append_outbox` writes for `changes` (without the newline).
    fn our_line(changes: &[Change]) -> Vec<u8> {
        let mut b = Vec::new();
        line(&mut b, |w| match changes {
            [one] => write_change(w, one),
            many => write_batch(w, many),
        });
        assert_eq!(b.pop(), Some(b'\n'));
        b
    }

    /// Ours, shaped like `oracle::read_line`'s answer.
    fn our_read(raw: &[u8]) -> Option<Vec<(u64, Option<Option<Entry>>)>> {
        let mut v = parse(raw)?;
        let (mut out, mut next) = (Vec::new(), 0);
        read_line(&mut v, &mut out, &mut next).ok()?;
        Some(
            out.into_iter()
                .map(|c| match c {
                    LineChange::Put(s, e) => (s, Some(e)),
                    LineChange::Del(s) => (s, None),
                })
                .collect(),
        )
    }

    fn their_read(raw: &[u8]) -> Option<Vec<(u64, Option<Option<Entry>>)>> {
        let v = oracle::read_line(raw).ok()?;
        Some(v.into_iter().map(|(s, e)| (s, e.map(Result::ok))).collect())
    }

    #[test]
    fn the_state_file_is_written_and_read_as_serde_did() {
        for s in states() {
            let theirs = oracle::state_bytes(&s);
            assert_eq!(String::from_utf8(state_bytes(&s).unwrap()).unwrap(), String::from_utf8(theirs.clone()).unwrap());
            assert_eq!(parse_state(&theirs).ok(), Some(s.clone()));
            assert_eq!(oracle::parse_state(&theirs).ok(), Some(s));
        }
    }

    #[test]
    fn journal_lines_are_written_and_read_as_serde_did() {
        let all = entries();
        let mut changes: Vec<Change> = all.iter().cloned().map(Change::Put).collect();
        changes.insert(3, Change::Del(7));
        changes.push(Change::Del(u64::MAX));
        let mut cases: Vec<Vec<Change>> = changes.iter().cloned().map(|c| vec![c]).collect();
        cases.push(changes);
        for c in &cases {
            let ours = our_line(c);
            assert_eq!(String::from_utf8(ours.clone()).unwrap(), String::from_utf8(oracle::change_line(c)).unwrap());
            let want: Vec<_> = c
                .iter()
                .map(|c| match c {
                    Change::Put(e) => (e.seq, Some(Some(e.clone()))),
                    Change::Del(s) => (*s, None),
                })
                .collect();
            assert_eq!(our_read(&ours), Some(want.clone()));
            assert_eq!(their_read(&ours), Some(want));
        }
        for n in [0, 1, u64::MAX] {
            let mut b = Vec::new();
            line(&mut b, |w| write_header(w, n));
            assert_eq!(b, [oracle::header_line(n), b"\n".to_vec()].concat());
            assert_eq!(read_header(&parse(&b).unwrap()), Some((JOURNAL_FORMAT, n)));
        }
    }

    /// A participant password not shared with invitees is never sent, so it
    /// is never written to the journal either (and not read back from an
    /// older one).
    #[test]
    fn unshared_passwords_stay_off_disk() {
        let m = Meeting { meeting_id: "m".into(), participant_password: Some("4321".into()), ..Meeting::default() };
        let e = Entry {
            seq: 1,
            meeting_id: "m".into(),
            occurrence: None,
            op: Op::Push(Box::new(m.clone())),
            enqueued_at: 0,
            attempts: 0,
            next_attempt_at: 0,
            maybe_sent: false,
            last_error: None,
            bytes: 0,
        };
        let line = String::from_utf8(our_line(&[Change::Put(e.clone())])).unwrap();
        assert!(!line.contains("4321"), "{line}");
        let shared = Entry { op: Op::Push(Box::new(Meeting { share_participant_password: true, ..m })), ..e.clone() };
        let line = String::from_utf8(our_line(&[Change::Put(shared)])).unwrap();
        assert!(line.contains("4321"));
        let old = line.replace("\"share_participant_password\":true", "\"share_participant_password\":false");
        let back = our_read(old.as_bytes()).unwrap();
        assert!(matches!(&back[..], [(1, Some(Some(e)))] if matches!(&e.op, Op::Push(m) if m.participant_password.is_none())));
    }

    /// serde's rules, one by one, on hand-written lines: both readers agree.
    #[test]
    fn hand_written_lines_read_as_serde_read_them() {
        // Weekly, on the day of the month, never ending.
        let good = String::from_utf8(our_line(&[Change::Put(entries()[7].clone())])).unwrap();
        let cancel = r#"{"put":{"seq":3,"meeting_id":"m","op":{"Cancel":{}},"enqueued_at":1,"attempts":0,"next_attempt_at":2,"maybe_sent":false}}"#;
        let mut lines = vec![
            cancel.to_owned(),
            cancel.replace(r#"{"Cancel":{}}"#, r#"{"Cancel":{"time_zone":null,"x":1}}"#),
            cancel.replace(r#"{"Cancel":{}}"#, r#"{"Cancel":{},"Push":{}}"#),
            cancel.replace(r#"{"Cancel":{}}"#, r#""Cancel""#),
            cancel.replace(r#"{"Cancel":{}}"#, r#"{"Cancel":null}"#),
            cancel.replace(r#""attempts":0"#, r#""attempts":-0"#),
            cancel.replace(r#""attempts":0"#, r#""attempts":4294967296"#),
            cancel.replace(r#""attempts":0"#, r#""attempts":1.0"#),
            cancel.replace(r#""attempts":0"#, r#""attempts":null"#),
            cancel.replace(r#""enqueued_at":1"#, r#""enqueued_at":-1"#),
            cancel.replace(r#""enqueued_at":1"#, r#""enqueued_at":-0"#),
            cancel.replace(r#""maybe_sent":false"#, r#""maybe_sent":0"#),
            cancel.replace(r#""maybe_sent":false}"#, r#""maybe_sent":false,"last_error":[1,"x"]}"#),
            cancel.replace(r#""maybe_sent":false}"#, r#""maybe_sent":false,"last_error":[1]}"#),
            cancel.replace(r#""maybe_sent":false}"#, r#""maybe_sent":false,"last_error":[1,"x",2]}"#),
            cancel.replace(r#""maybe_sent":false}"#, r#""maybe_sent":false,"last_error":["1","x"]}"#),
            cancel.replace(r#""maybe_sent":false}"#, r#""maybe_sent":false,"future":{"a":[1]}}"#),
            cancel.replace(r#""seq":3"#, r#""seq":18446744073709551616"#),
            cancel.replace(r#""meeting_id":"m","#, ""),
            format!(r#"{{"batch":[{cancel},{{"del":4}}]}}"#),
            format!(r#"{{"batch":[{{"batch":[{cancel}]}},{{"del":4}}]}}"#),
            format!(r#"{{"batch":[{cancel},{{"del":-1}}]}}"#),
            format!(r#"{{"batch":[{},{{"del":4}}]}}"#, cancel.replace(r#""enqueued_at":1"#, r#""enqueued_at":-1"#)),
            r#"{"batch":[]}"#.into(),
            r#"{"batch":{}}"#.into(),
            r#"{"del":4,"put":{}}"#.into(),
            r#"{"Del":4}"#.into(),
            r#""del""#.into(),
            r#"{"del":null}"#.into(),
            r#"[{"del":1}]"#.into(),
            good.clone(),
        ];
        for (from, to) in [
            (r#""end":"Never""#, r#""end":{"Never":null}"#),
            (r#""end":"Never""#, r#""end":{"Never":1}"#),
            (r#""end":"Never""#, r#""end":"Count""#),
            (r#""end":"Never""#, r#""end":{"Count":3}"#),
            (r#""end":"Never""#, r#""end":{"Count":-3}"#),
            (r#""end":"Never""#, r#""end":{"Until":[2025,366]}"#),
            (r#""end":"Never""#, r#""end":{"Until":[2024,366]}"#),
            (r#""end":"Never""#, r#""end":{"Until":[2024,65536]}"#),
            (r#""end":"Never""#, r#""end":{"Until":[2024]}"#),
            (r#""end":"Never""#, r#""end":{"Until":[2024,1,1]}"#),
            (r#""end":"Never""#, r#""end":{"Until":{"0":2024}}"#),
            (r#""end":"Never""#, r#""end":"Until""#),
            (r#""freq":"Weekly""#, r#""freq":{"Weekly":null}"#),
            (r#""freq":"Weekly""#, r#""freq":"weekly""#),
            (r#""freq":"Weekly""#, r#""freq":{"Weekly":null,"Daily":null}"#),
            (r#""monthly_by":"DayOfMonth""#, r#""monthly_by":"Other""#),
            (r#""weekdays":85"#, r#""weekdays":256"#),
            (r#""host":{"name":"1001","email":"h@x"}"#, r#""host":{"name":"1001"}"#),
            (r#""host":{"name":"1001","email":"h@x"}"#, r#""host":{"email":"h@x"}"#),
            (r#""host":{"name":"1001","email":"h@x"}"#, r#""host":[]"#),
            (r#""room":"R1","#, ""),
            (r#""room":"R1""#, r#""room":1"#),
            (r#""invitees":[{"name":"1002","email":null},"#, r#""invitees":null,"x":[{"name":"1002","email":null},"#),
            (r#""subject":"#, r#""subject":null,"s":"#),
            (r#""share_participant_password":true"#, r#""share_participant_password":false"#),
        ] {
            assert!(good.contains(from), "{from}");
            lines.push(good.replacen(from, to, 1));
        }
        for l in &lines {
            assert_eq!(our_read(l.as_bytes()), their_read(l.as_bytes()), "{l}");
        }
        assert!(our_read(cancel.as_bytes()).is_some());
        for h in [r#"{"journal":2}"#, r#"{"journal":2,"next_seq":5}"#, r#"{"journal":2,"x":1}"#, r#"{"journal":-0}"#, r#"{"next_seq":1}"#, r#"{"journal":2,"next_seq":null}"#] {
            assert_eq!(parse(h.as_bytes()).and_then(|v| read_header(&v)), oracle::read_header(h.as_bytes()), "{h}");
        }
        // The one known difference: serde also read a struct from an array
        // of its members' values; nothing ever wrote one.
        assert_eq!(oracle::read_header(b"[2]"), Some((2, 0)));
        assert_eq!(parse(b"[2]").and_then(|v| read_header(&v)), None);
    }

    /// Where `json::parse` is stricter than serde_json by design: a member
    /// given twice (a map's last one won), text that is not UTF-8 (in a
    /// member serde_json skips without checking it). Nothing to compare.
    pub(crate) fn stricter(b: &[u8]) -> bool {
        parse(b).is_none() && (std::str::from_utf8(b).is_err() || serde_json::from_slice::<serde_json::Value>(b).is_ok())
    }

    pub(crate) fn mutate(doc: &[u8], rnd: &mut impl FnMut(usize) -> usize) -> Vec<u8> {
        const BYTES: &[u8] = b"{}[]\",:0123456789-.eEnultrfa \\x\xc3\xa9";
        let mut b = doc.to_vec();
        for _ in 0..1 + rnd(3) {
            let at = rnd(b.len() + 1);
            let c = BYTES[rnd(BYTES.len())];
            match rnd(3) {
                0 if at < b.len() => b[at] = c,
                1 => b.insert(at, c),
                _ if at < b.len() => {
                    b.remove(at);
                }
                _ => {}
            }
        }
        b
    }

    pub(crate) fn rng() -> impl FnMut(usize) -> usize {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        move |n| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n.max(1) as u64) as usize
        }
    }

    /// Damaged state files and journal lines: both readers accept the same
    /// ones with the same values and refuse the same ones.
    #[test]
    fn mutated_files_read_as_serde_read_them() {
        let mut rnd = rng();
        let docs: Vec<Vec<u8>> = states().iter().map(oracle::state_bytes).collect();
        let (mut same, mut accepted) = (0, 0);
        for round in 0..3000 {
            let b = mutate(&docs[round % docs.len()], &mut rnd);
            if stricter(&b) {
                continue;
            }
            let (ours, theirs) = (parse_state(&b), oracle::parse_state(&b));
            match (&ours, &theirs) {
                (Ok(a), Ok(t)) => {
                    assert_eq!(a, t, "{}", String::from_utf8_lossy(&b));
                    accepted += 1;
                }
                (Err(Parsed::TooNew(_)), Err(None)) | (Err(Parsed::Bad(_)), Err(Some(_))) => {}
                _ => panic!("{}: ours {:?}, theirs {theirs:?}", String::from_utf8_lossy(&b), ours.as_ref().err().map(|e| match e {
                    Parsed::Bad(w) => w.clone(),
                    Parsed::TooNew(v) => format!("too new {v}"),
                })),
            }
            same += 1;
        }
        assert!(same > 2500 && accepted > 50, "{same} {accepted}");
        let all = entries();
        let lines: Vec<Vec<u8>> = all.chunks(3).map(|c| oracle::change_line(&c.iter().cloned().map(Change::Put).collect::<Vec<_>>())).collect();
        let (mut same, mut accepted) = (0, 0);
        for round in 0..10000 {
            let b = mutate(&lines[round % lines.len()], &mut rnd);
            if stricter(&b) {
                continue;
            }
            let ours = our_read(&b);
            assert_eq!(ours, their_read(&b), "{}", String::from_utf8_lossy(&b));
            accepted += usize::from(ours.is_some());
            same += 1;
        }
        assert!(same > 7500 && accepted > 500, "{same} {accepted}");
    }

    /// A secret read is the tree's own buffer, moved: no copy is left
    /// behind unwiped.
    #[test]
    fn secrets_are_moved_out_of_the_tree_not_copied() {
        let b = oracle::state_bytes(&rich_state());
        let mut doc = parse(&b).unwrap();
        let at = |v: &Value| v.as_str().unwrap().as_ptr();
        let (client, token, key) = (at(&doc["client"]["client_secret"]), at(&doc["tokens"]["refresh_token"]), at(&doc["service_account"]["private_key"]));
        let s = read_state(&mut Fields::of(&mut doc, "").unwrap()).unwrap();
        assert_eq!(s.client.unwrap().client_secret.expose().as_ptr(), client);
        assert_eq!(s.tokens.unwrap().refresh_token.expose().as_ptr(), token);
        assert_eq!(s.service_account.unwrap().private_key.expose().as_ptr(), key);
    }

    #[test]
    fn range_errors_keep_their_texts_and_order() {
        let mut s = rich_state();
        s.device.as_mut().unwrap().interval = 3601;
        s.pending[1].created_at = -1;
        let b = oracle::state_bytes(&s);
        let want = oracle::parse_state(&b).unwrap_err().unwrap();
        assert_eq!(want, "pending.created_at = -1 is not a time between 1970 and 9999");
        assert!(matches!(parse_state(&b), Err(Parsed::Bad(w)) if w == want));
        s.pending[1].created_at = 0;
        let b = oracle::state_bytes(&s);
        assert!(matches!(parse_state(&b), Err(Parsed::Bad(w)) if w == "device.interval = 3601 is over 3600 seconds"));
        let wrong = String::from_utf8(oracle::state_bytes(&rich_state())).unwrap().replace("\"scope\":\"openid email\"", "\"scope\":7");
        match parse_state(wrong.as_bytes()) {
            Err(Parsed::Bad(w)) => assert_eq!(w, "not a valid state file (field tokens.scope is missing or of the wrong type)"),
            _ => panic!("accepted"),
        }
    }

    /// tests/fixtures (written by 0.1.0): read exactly as serde read them.
    #[test]
    fn fixtures_read_as_serde_read_them() {
        let fx = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        for name in ["v1-configured", "v1-authorized"] {
            let state = std::fs::read(fx.join(name).join("gs_gcal.state.json")).unwrap();
            assert_eq!(parse_state(&state).ok(), oracle::parse_state(&state).ok(), "{name}");
            let journal = std::fs::read(fx.join(name).join("gs_gcal.outbox.jsonl")).unwrap();
            for l in journal.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                assert!(our_read(l).is_some());
                assert_eq!(our_read(l), their_read(l), "{name}");
            }
        }
    }

    /// `cargo test --release --lib records::tests::measure -- --ignored --nocapture`
    #[test]
    #[ignore = "measurement, not a check"]
    fn measure_journal_load() {
        // Every variant, and as many cancels (smaller): ~400 bytes a line.
        let mut all = entries();
        let mut cancels: Vec<Entry> = all.iter().map(|e| Entry { op: Op::Cancel { time_zone: None }, last_error: None, ..e.clone() }).collect();
        cancels.iter_mut().for_each(|e| e.bytes = e.approx_bytes());
        all.extend(cancels);
        let journal: Vec<Entry> = (0..80_000u64).map(|i| Entry { seq: i + 1, ..all[i as usize % all.len()].clone() }).collect();
        let mut text = Vec::new();
        for e in &journal {
            text.extend(oracle::change_line(&[Change::Put(e.clone())]));
            text.push(b'\n');
        }
        let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').filter(|l| !l.is_empty()).collect();
        let t = std::time::Instant::now();
        let mut theirs = Vec::new();
        for l in &lines {
            theirs.extend(oracle::read_line(l).unwrap());
        }
        eprintln!("serde: {} lines, {} MB in {:?}", theirs.len(), text.len() >> 20, t.elapsed());
        let t = std::time::Instant::now();
        let mut n = 0;
        for l in &lines {
            n += parse(l).unwrap().as_object().unwrap().len();
        }
        eprintln!("json::parse alone: {n} trees in {:?}", t.elapsed());
        let t = std::time::Instant::now();
        let (mut out, mut next) = (Vec::new(), 0);
        for l in &lines {
            let mut v = parse(l).unwrap();
            read_line(&mut v, &mut out, &mut next).unwrap();
        }
        eprintln!("ours: {} lines in {:?}", out.len(), t.elapsed());
        drop((theirs, out));
        let dir = std::env::temp_dir().join(format!("gs_gcal_measure_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (mut store, _) = super::super::Store::open(&dir, 0).unwrap();
        store.compact_outbox(&journal, 80_001).unwrap();
        let t = std::time::Instant::now();
        let l = store.load_outbox(0).unwrap();
        eprintln!("load_outbox: {} entries in {:?}", l.entries.len(), t.elapsed());
        assert!(l.entries == journal);
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
