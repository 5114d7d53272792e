/*
 * The C API's refusals, seen from C (run as root by ci/ffi.sh, also under AddressSanitizer):
 * NULL pointers, invalid UTF-8, freed, borrowed and wrongly typed handles, buffers too small,
 * out-parameters left alone on failure, and every error class of the Rust library reached
 * through its C call, each with its text. (IFCLONE_RESULT_PANIC is a bug by definition: the
 * boundary's unit tests in ffi/src/boundary.rs provoke one.)
 *
 *   bad-input TAG      (TAG makes the stack and interface names unique, at most 6 characters)
 */
#include <dirent.h>
#include <ifclone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures = 0;
static char tag[16];

/* Checks that a call returned `want` and that the last error says `text` (NULL: any text). */
static void expect(int line, const char *what, ifclone_result got, ifclone_result want,
                   const char *text) {
    const char *msg = ifclone_last_error_message();
    int ok = got == want && (want == IFCLONE_RESULT_OK || (ifclone_last_error_class() == want &&
                                                           (!text || strstr(msg, text))));
    printf("%s %-55s %s: %s\n", ok ? "ok  " : "FAIL", what, ifclone_result_name(got),
           want == IFCLONE_RESULT_OK ? "" : msg);
    if (!ok) {
        fprintf(stderr, "line %d: %s: wanted %s with \"%s\", got %s: %s\n", line, what,
                ifclone_result_name(want), text ? text : "", ifclone_result_name(got), msg);
        failures++;
    }
}
#define EXPECT(what, call, want, text) expect(__LINE__, what, (call), (want), (text))

static void check(int line, const char *what, int cond) {
    printf("%s %s\n", cond ? "ok  " : "FAIL", what);
    if (!cond) {
        fprintf(stderr, "line %d: %s\n", line, what);
        failures++;
    }
}
#define CHECK(what, cond) check(__LINE__, what, (cond))

static void boundary(ifclone_stack *host) {
    ifclone_stack *s = (ifclone_stack *)0x1; /* a sentinel: failures must leave it */
    EXPECT("NULL string argument", ifclone_stack_open(NULL, &s), IFCLONE_RESULT_NULL_ARGUMENT,
           "argument stack is NULL");
    CHECK("out-parameter untouched on failure", s == (ifclone_stack *)0x1);
    EXPECT("NULL out-parameter", ifclone_stack_open("host", NULL), IFCLONE_RESULT_NULL_ARGUMENT,
           "argument out is NULL");
    EXPECT("invalid UTF-8", ifclone_stack_open("ho\xffst", &s), IFCLONE_RESULT_INVALID_UTF8,
           "offset 2");
    CHECK("out-parameter untouched on bad UTF-8", s == (ifclone_stack *)0x1);
    EXPECT("NULL handle", ifclone_stack_cloners(NULL, NULL), IFCLONE_RESULT_NULL_ARGUMENT,
           "argument stack");

    ifclone_params *p = NULL;
    EXPECT("params for an epair", ifclone_params_new("epair", &p), IFCLONE_RESULT_OK, NULL);
    ifclone_strings *l = NULL;
    EXPECT("a handle of the wrong type",
           ifclone_stack_cloners((const ifclone_stack *)p, &l), IFCLONE_RESULT_INVALID_HANDLE,
           "not a live ifclone_stack");
    ifclone_params_free(p);
    EXPECT("a freed handle", ifclone_params_set(p, "peer", "x"), IFCLONE_RESULT_INVALID_HANDLE,
           "not a live ifclone_params");
    ifclone_params_free(p); /* a double free is refused, not done */
    CHECK("a double free is refused and reported",
          ifclone_last_error_class() == IFCLONE_RESULT_INVALID_HANDLE);
    int on_stack = 0;
    EXPECT("a pointer ifclone never made",
           ifclone_stack_cloners((const ifclone_stack *)&on_stack, &l),
           IFCLONE_RESULT_INVALID_HANDLE, "never made by ifclone");
    CHECK("a value accessor on a bad handle gives NULL",
          ifclone_stack_name((const ifclone_stack *)&on_stack) == NULL);

    ifclone_iface_list *list = NULL;
    EXPECT("list the host's interfaces", ifclone_stack_interfaces(host, &list), IFCLONE_RESULT_OK,
           NULL);
    const ifclone_iface *first = ifclone_iface_list_get(list, 0);
    CHECK("a listing has the loopback", first && ifclone_iface_name(first));
    ifclone_iface_free((ifclone_iface *)first);
    CHECK("freeing a borrowed interface is refused",
          ifclone_last_error_class() == IFCLONE_RESULT_INVALID_HANDLE &&
              strstr(ifclone_last_error_message(), "borrowed"));
    CHECK("the list still holds it", ifclone_iface_list_get(list, 0) == first &&
                                         ifclone_iface_index(first) > 0);
    CHECK("past the end is NULL", ifclone_iface_list_get(list, 100000) == NULL);
    ifclone_iface_list_free(list);
    CHECK("its interfaces go with the list", ifclone_iface_name(first) == NULL &&
                                                 ifclone_last_error_class() ==
                                                     IFCLONE_RESULT_INVALID_HANDLE);

    /* The last error's copy: too small is refused, the error stays. */
    char small[4];
    size_t n = 12345;
    CHECK("a buffer too small is refused",
          ifclone_last_error(small, sizeof small, &n) == IFCLONE_RESULT_BUFFER_TOO_SMALL);
    CHECK("n untouched and the error kept",
          n == 12345 && ifclone_last_error_class() == IFCLONE_RESULT_INVALID_HANDLE);
    char big[1024];
    EXPECT("the message copied", ifclone_last_error(big, sizeof big, &n), IFCLONE_RESULT_OK,
           NULL);
    CHECK("the copy is the message", n == strlen(big) && strcmp(big, ifclone_last_error_message()) == 0);

    ifclone_strings *kinds = NULL;
    EXPECT("the cloners", ifclone_stack_cloners(host, &kinds), IFCLONE_RESULT_OK, NULL);
    int has_epair = 0;
    for (size_t i = 0; i < ifclone_strings_len(kinds); i++)
        has_epair |= strcmp(ifclone_strings_get(kinds, i), "epair") == 0;
    CHECK("epair is a cloner", has_epair);
    ifclone_strings_free(kinds);
}

/* The ledger file of a stack (Linux: loans/netns_<inode>_<n>.json under /run/ifclone) that
 * records the loan `loan`: netns inodes are reused, so files of stacks long gone may share the
 * inode; the one that names this test's loan is the one. */
static int ledger_path(const char *stack, const char *loan, char *out, size_t len) {
    char ns[256];
    struct stat st;
    snprintf(ns, sizeof ns, "/run/netns/%s", stack);
    if (stat(ns, &st) != 0)
        return -1;
    char prefix[64], needle[64];
    snprintf(prefix, sizeof prefix, "netns_%lu_", (unsigned long)st.st_ino);
    snprintf(needle, sizeof needle, "\"name\": \"%s\"", loan);
    DIR *d = opendir("/run/ifclone/loans");
    if (!d)
        return -1;
    struct dirent *e;
    int found = -1;
    while (found != 0 && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 || l <= 5 ||
            strcmp(e->d_name + l - 5, ".json") != 0)
            continue;
        char path[512], body[65536];
        snprintf(path, sizeof path, "/run/ifclone/loans/%s", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(body, 1, sizeof body - 1, f);
        fclose(f);
        body[n] = 0;
        if (strstr(body, needle)) {
            snprintf(out, len, "%s", path);
            found = 0;
        }
    }
    closedir(d);
    return found;
}

static void classes(ifclone_stack *host) {
    char stack[64], other[64], a[32], b[32], veth[32];
    snprintf(stack, sizeof stack, "ifc-bad-%s", tag);
    snprintf(other, sizeof other, "ifc-bad-%s-none", tag);
    snprintf(a, sizeof a, "icb%sa", tag);
    snprintf(b, sizeof b, "icb%sb", tag);
    snprintf(veth, sizeof veth, "icb%sv", tag);
    ifclone_stack *s = NULL, *dup = NULL, *none = NULL;
    ifclone_params *p = NULL;
    ifclone_created *made = NULL, *clash = NULL;

    EXPECT("NOT_FOUND: a stack that does not exist", ifclone_stack_open(other, &none),
           IFCLONE_RESULT_NOT_FOUND, other);
    CHECK("  its object is the stack",
          ifclone_last_error_object() && strstr(ifclone_last_error_object(), other));
    EXPECT("NOT_FOUND: an unknown kind", ifclone_params_new("nosuchkind", &p),
           IFCLONE_RESULT_NOT_FOUND, "nosuchkind");
    EXPECT("create the test stack", ifclone_stack_create(stack, &s), IFCLONE_RESULT_OK, NULL);
    if (!s)
        return;
    EXPECT("EXISTS: the same stack again", ifclone_stack_create(stack, &dup),
           IFCLONE_RESULT_EXISTS, stack);
    EXPECT("INVALID_NAME: a name over 15 bytes",
           ifclone_stack_destroy(host, "a-name-far-too-long-for-an-interface"),
           IFCLONE_RESULT_INVALID_NAME, "a-name-far-too-long");
    EXPECT("INVALID_ARGUMENT: MTU out of range", ifclone_stack_set_mtu(host, "lo", 10),
           IFCLONE_RESULT_INVALID_ARGUMENT, "MTU 10");
    EXPECT("params for a bridge", ifclone_params_new("bridge", &p), IFCLONE_RESULT_OK, NULL);
    EXPECT("INVALID_ARGUMENT: a keyword the kind lacks", ifclone_params_set(p, "vlan", "5"),
           IFCLONE_RESULT_INVALID_ARGUMENT, "has no parameter 'vlan'");
    ifclone_params_free(p);
    p = NULL;
    EXPECT("params for a vlan", ifclone_params_new("vlan", &p), IFCLONE_RESULT_OK, NULL);
    EXPECT("  vlandev", ifclone_params_set(p, "vlandev", "lo"), IFCLONE_RESULT_OK, NULL);
    EXPECT("INVALID_ARGUMENT: a vlan without its id",
           ifclone_stack_create_iface(s, p, NULL, NULL, &made), IFCLONE_RESULT_INVALID_ARGUMENT,
           "needs 'vlan'");
    CHECK("  nothing was made", made == NULL);
    ifclone_params_free(p);
    p = NULL;
    EXPECT("UNSUPPORTED: destroying the loopback", ifclone_stack_destroy(host, "lo"),
           IFCLONE_RESULT_UNSUPPORTED, "lo");
    EXPECT("NOT_FOUND: removing an address that is not there",
           ifclone_stack_del_address(s, "lo", "192.0.2.99/32"), IFCLONE_RESULT_NOT_FOUND,
           "EADDRNOTAVAIL");
    CHECK("  with the kernel's errno", ifclone_last_error_errno() == 99);
    CHECK("  and the stack", ifclone_last_error_stack() &&
                                 strcmp(ifclone_last_error_stack(), stack) == 0);
    ifclone_created *br1 = NULL, *br2 = NULL;
    EXPECT("params for a bridge", ifclone_params_new("bridge", &p), IFCLONE_RESULT_OK, NULL);
    ifclone_params_set(p, "name", "br1");
    EXPECT("a bridge", ifclone_stack_create_iface(s, p, NULL, NULL, &br1), IFCLONE_RESULT_OK, NULL);
    ifclone_params_set(p, "name", "br2");
    EXPECT("another", ifclone_stack_create_iface(s, p, NULL, NULL, &br2), IFCLONE_RESULT_OK, NULL);
    ifclone_params_free(p);
    p = NULL;
    EXPECT("KERNEL: a bridge as a port of a bridge", ifclone_stack_add_port(s, "br1", "br2"),
           IFCLONE_RESULT_KERNEL, "ELOOP");
    CHECK("  errno ELOOP", ifclone_last_error_errno() == 40);
    CHECK("  the operation and object", ifclone_last_error_op() && ifclone_last_error_object());

    /* BUSY: a bridge port's frames belong to the bridge, so a macvlan cannot sit on it. */
    ifclone_created *pair = NULL, *mv = NULL;
    EXPECT("params for an epair", ifclone_params_new("epair", &p), IFCLONE_RESULT_OK, NULL);
    ifclone_params_set(p, "name", "pa");
    ifclone_params_set(p, "peer", "pb");
    EXPECT("an epair inside", ifclone_stack_create_iface(s, p, NULL, NULL, &pair),
           IFCLONE_RESULT_OK, NULL);
    ifclone_params_free(p);
    p = NULL;
    EXPECT("pa a port of br1", ifclone_stack_add_port(s, "br1", "pa"), IFCLONE_RESULT_OK, NULL);
    EXPECT("params for a macvlan", ifclone_params_new("macvlan", &p), IFCLONE_RESULT_OK, NULL);
    EXPECT("  on pa", ifclone_params_set(p, "macvlandev", "pa"), IFCLONE_RESULT_OK, NULL);
    EXPECT("BUSY: a macvlan on a bridge port", ifclone_stack_create_iface(s, p, NULL, NULL, &mv),
           IFCLONE_RESULT_BUSY, "EBUSY");
    CHECK("  nothing was made", mv == NULL);
    ifclone_params_free(p);
    p = NULL;

    /* A macvtap hands out its /dev/tapN again on request. */
    EXPECT("params for a macvtap", ifclone_params_new("macvtap", &p), IFCLONE_RESULT_OK, NULL);
    ifclone_params_set(p, "name", "mvt");
    ifclone_params_set(p, "macvlandev", "pb");
    EXPECT("a macvtap on pb", ifclone_stack_create_iface(s, p, NULL, NULL, &mv),
           IFCLONE_RESULT_OK, NULL);
    int fd[2] = {-1, -1};
    size_t nfd = 0;
    EXPECT("its fd opened again", ifclone_stack_open_fds(s, "mvt", 1, fd, 2, &nfd),
           IFCLONE_RESULT_OK, NULL);
    CHECK("  one fd, the caller's", nfd == 1 && fd[0] >= 0 && close(fd[0]) == 0);
    ifclone_params_free(p);
    p = NULL;
    ifclone_created_free(mv);
    ifclone_created_free(pair);
    ifclone_created_free(br1);
    ifclone_created_free(br2);

    /* An epair with its b end lent to the stack. */
    EXPECT("params for an epair", ifclone_params_new("epair", &p), IFCLONE_RESULT_OK, NULL);
    ifclone_params_set(p, "name", a);
    ifclone_params_set(p, "peer", b);
    ifclone_params_set(p, "up", NULL);
    EXPECT("create the epair across", ifclone_stack_create_iface(host, p, NULL, s, &made),
           IFCLONE_RESULT_OK, NULL);
    /* PERMISSION_DENIED: the same change as an unprivileged user. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(100);
        ifclone_result r = ifclone_stack_set_mtu(host, a, 1400);
        printf("     (as nobody: %s: %s)\n", ifclone_result_name(r), ifclone_last_error_message());
        fflush(stdout);
        _exit(r);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK("PERMISSION_DENIED: setting an MTU as nobody",
          WIFEXITED(st) && WEXITSTATUS(st) == IFCLONE_RESULT_PERMISSION_DENIED);

    /* CORRUPT: the stack's ledger damaged; nothing is removed. */
    char path[512];
    if (ledger_path(stack, b, path, sizeof path) == 0) {
        FILE *f = fopen(path, "r");
        char saved[65536];
        size_t len = f ? fread(saved, 1, sizeof saved, f) : 0;
        if (f)
            fclose(f);
        f = fopen(path, "w");
        if (f) {
            fputs("{\"format\":\"ifclone-ledger\",\"version\":1,\"loans\":[{", f);
            fclose(f);
        }
        EXPECT("CORRUPT: removing a stack whose ledger is damaged",
               ifclone_stack_remove(s, false, NULL), IFCLONE_RESULT_CORRUPT, "damaged state");
        ifclone_stack *again = NULL;
        EXPECT("  the stack is still there", ifclone_stack_open(stack, &again), IFCLONE_RESULT_OK,
               NULL);
        ifclone_stack_free(again);
        f = fopen(path, "w");
        if (f) {
            fwrite(saved, 1, len, f);
            fclose(f);
        }
    } else {
        CHECK("the stack's ledger file exists", 0);
    }

    /* NOT_RETURNED: the b end cannot go home while the host has an interface of its name. */
    ifclone_params_free(p);
    p = NULL;
    EXPECT("params for a blocker", ifclone_params_new("epair", &p), IFCLONE_RESULT_OK, NULL);
    ifclone_params_set(p, "name", b);
    ifclone_params_set(p, "peer", veth);
    EXPECT("an interface named like the loan in the host",
           ifclone_stack_create_iface(host, p, NULL, NULL, &clash), IFCLONE_RESULT_OK, NULL);
    EXPECT("NOT_RETURNED: removing the stack", ifclone_stack_remove(s, false, NULL),
           IFCLONE_RESULT_NOT_RETURNED, b);
    ifclone_stack *kept = NULL;
    EXPECT("  the stack was kept", ifclone_stack_open(stack, &kept), IFCLONE_RESULT_OK, NULL);
    ifclone_stack_free(kept);
    EXPECT("destroy the blocker", ifclone_stack_destroy(host, b), IFCLONE_RESULT_OK, NULL);
    ifclone_remove_report *report = NULL;
    EXPECT("now the stack goes", ifclone_stack_remove(s, false, &report), IFCLONE_RESULT_OK, NULL);
    CHECK("  and the loan came home",
          ifclone_remove_report_len(report, IFCLONE_REMOVE_RETURNED) == 1 &&
              strcmp(ifclone_remove_report_name(report, IFCLONE_REMOVE_RETURNED, 0), b) == 0);
    EXPECT("destroy the epair", ifclone_stack_destroy(host, a), IFCLONE_RESULT_OK, NULL);

    ifclone_remove_report_free(report);
    ifclone_created_free(clash);
    ifclone_created_free(made);
    ifclone_params_free(p);
    ifclone_stack_free(s);
}

static void fds(ifclone_stack *host) {
    char name[32];
    snprintf(name, sizeof name, "icb%st", tag);
    ifclone_params *p = NULL;
    ifclone_tap_options *o = NULL;
    ifclone_created *tap = NULL;
    EXPECT("params for a tap", ifclone_params_new("tap", &p), IFCLONE_RESULT_OK, NULL);
    ifclone_params_set(p, "name", name);
    EXPECT("  two queues", ifclone_params_set(p, "queues", "2"), IFCLONE_RESULT_OK, NULL);
    EXPECT("tap options", ifclone_tap_options_new(&o), IFCLONE_RESULT_OK, NULL);
    ifclone_tap_options_set_persist(o, false);
    ifclone_tap_options_set_vnet_hdr(o, true);
    EXPECT("a non-persistent tap", ifclone_stack_create_tap(host, p, o, &tap), IFCLONE_RESULT_OK,
           NULL);
    CHECK("it holds two fds", ifclone_created_fd_count(tap) == 2);
    int got[2] = {-1, -1};
    size_t n = 99;
    EXPECT("BUFFER_TOO_SMALL: room for one fd", ifclone_created_take_fds(tap, got, 1, &n),
           IFCLONE_RESULT_BUFFER_TOO_SMALL, "2 fds");
    CHECK("  nothing handed over", got[0] == -1 && n == 99 && ifclone_created_fd_count(tap) == 2);
    EXPECT("take both", ifclone_created_take_fds(tap, got, 2, &n), IFCLONE_RESULT_OK, NULL);
    CHECK("  two fds, now the caller's", n == 2 && got[0] >= 0 && got[1] >= 0 &&
                                           ifclone_created_fd_count(tap) == 0);
    ifclone_created_free(tap);
    ifclone_iface *i = NULL;
    EXPECT("the tap lives while its fds are open", ifclone_stack_interface(host, name, &i),
           IFCLONE_RESULT_OK, NULL);
    ifclone_iface_free(i);
    i = NULL;
    close(got[0]);
    close(got[1]);
    EXPECT("and goes with the last one", ifclone_stack_interface(host, name, &i),
           IFCLONE_RESULT_NOT_FOUND, name);
    ifclone_tap_options_free(o);
    ifclone_params_free(p);

}

int main(int argc, char **argv) {
    snprintf(tag, sizeof tag, "%.6s", argc > 1 ? argv[1] : "t");
    ifclone_stack *host = NULL;
    if (ifclone_stack_host(&host) != IFCLONE_RESULT_OK) {
        fprintf(stderr, "bad-input: %s\n", ifclone_last_error_message());
        return 1;
    }
    boundary(host);
    classes(host);
    fds(host);
    ifclone_stack_free(host);
    printf("%s: %d failure(s)\n", failures ? "bad-input FAILED" : "bad-input passed", failures);
    return failures ? 1 : 0;
}
