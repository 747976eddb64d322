/*
 * rusage_run: runs a command and prints its peak RSS and wall time on
 * stderr as the last line, "rusage_run maxrss_kb=N wall_s=X". Linux carries
 * a process's RSS high-water mark across fork and exec, so a program
 * started straight from bench.py would inherit Python's; started from this
 * small process it reports its own.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    struct timespec a, b;
    struct rusage ru;
    int status;
    pid_t pid;
    if (argc < 2)
        return 2;
    clock_gettime(CLOCK_MONOTONIC, &a);
    pid = fork();
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        _exit(127);
    }
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
        return 2;
    clock_gettime(CLOCK_MONOTONIC, &b);
    fprintf(stderr, "rusage_run maxrss_kb=%ld wall_s=%.6f\n", ru.ru_maxrss,
            (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
