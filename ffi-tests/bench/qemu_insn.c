/*
 * qemu_insn: a qemu-user TCG plugin counting the guest instructions a
 * program executes, for the armv7 instruction rows of `make bench`
 * (valgrind does not run armv7 programs; qemu-arm does).
 *
 *   qemu-arm -plugin build/bench/qemu_insn.so -d plugin -D LOG prog ...
 *
 * writes "qemu_insn N" into LOG at exit. Each translated block adds its
 * instruction count when it starts executing (inline, no callback), so a
 * block left early by a fault counts whole: exact for ordinary programs.
 * One counter for all threads (the bench programs call from one thread).
 *
 * Debian bookworm ships qemu-user 7.2 with plugin support but neither the
 * plugins nor <qemu-plugin.h>; the few declarations needed are written out
 * here from the documented API of plugin version 1 (QEMU 5.2 - 7.2).
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t; /* not read */
struct qemu_plugin_tb;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr,
                                              uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
void qemu_plugin_outs(const char *string);

#define EXPORT __attribute__((visibility("default")))

EXPORT int qemu_plugin_version = 1;

static uint64_t insns;

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &insns,
                                             qemu_plugin_tb_n_insns(tb));
}

static void at_exit_cb(qemu_plugin_id_t id, void *p) {
    char line[64];
    (void)id;
    (void)p;
    snprintf(line, sizeof line, "qemu_insn %" PRIu64 "\n", insns);
    qemu_plugin_outs(line);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv);
EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
    (void)info;
    (void)argc;
    (void)argv;
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, at_exit_cb, NULL);
    return 0;
}
