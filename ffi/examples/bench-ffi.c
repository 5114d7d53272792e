/*
 * bench-ffi: what the C boundary costs. The same kernel work through libifclone and through
 * `ip -batch`, in fresh network namespaces, interleaved (ip, C, ip, C, ...), min and median of
 * --reps runs; then the boundary alone: a value accessor and a status call on a handle, each
 * checked against the handle registry and run under the panic guard, with no kernel work.
 *
 *   cc -O2 ffi/examples/bench-ffi.c $(pkg-config --cflags --libs ifclone) -o bench-ffi
 *   ./bench-ffi [N [REPS]]        (as root; N epairs, default 200; REPS default 3)
 */
#include <ifclone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void die(const char *what) {
    fprintf(stderr, "bench-ffi: %s: %s\n", what, ifclone_last_error_message());
    exit(1);
}

static void sh(const char *cmd) {
    if (system(cmd) != 0) {
        fprintf(stderr, "bench-ffi: '%s' failed\n", cmd);
        exit(1);
    }
}

/* One sample of each side: create N epairs in a fresh stack, list it, destroy them in bulk. */
static void ip_sample(int n, int rep, double t[3]) {
    char ns[64], cmd[512], file[96];
    snprintf(ns, sizeof ns, "ifcbf-%d-ip%d", (int)getpid(), rep);
    snprintf(file, sizeof file, "/tmp/%s.batch", ns);
    snprintf(cmd, sizeof cmd, "ip netns add %s", ns);
    sh(cmd);
    FILE *f = fopen(file, "w");
    for (int i = 0; i < n; i++)
        fprintf(f, "link add e%da type veth peer name e%db\n", i, i);
    fclose(f);
    double t0 = now();
    snprintf(cmd, sizeof cmd, "ip -n %s -batch %s", ns, file);
    sh(cmd);
    double t1 = now();
    snprintf(cmd, sizeof cmd, "ip -n %s -o link show > /dev/null", ns);
    sh(cmd);
    double t2 = now();
    f = fopen(file, "w");
    for (int i = 0; i < n; i++)
        fprintf(f, "link set e%da group 99\n", i);
    fprintf(f, "link del group 99\n");
    fclose(f);
    snprintf(cmd, sizeof cmd, "ip -n %s -batch %s", ns, file);
    sh(cmd);
    double t3 = now();
    t[0] = t1 - t0, t[1] = t2 - t1, t[2] = t3 - t2;
    snprintf(cmd, sizeof cmd, "ip netns del %s", ns);
    sh(cmd);
    unlink(file);
}

static void c_sample(int n, int rep, double t[3]) {
    char ns[64], a[16], b[16];
    snprintf(ns, sizeof ns, "ifcbf-%d-c%d", (int)getpid(), rep);
    ifclone_stack *s = NULL;
    if (ifclone_stack_create(ns, &s) != IFCLONE_RESULT_OK)
        die("create stack");
    const char **names = calloc((size_t)n, sizeof *names);
    char (*store)[16] = calloc((size_t)n, sizeof *store);
    double t0 = now();
    for (int i = 0; i < n; i++) {
        ifclone_params *p = NULL;
        ifclone_created *c = NULL;
        snprintf(a, sizeof a, "e%da", i);
        snprintf(b, sizeof b, "e%db", i);
        if (ifclone_params_new("epair", &p) || ifclone_params_set(p, "name", a) ||
            ifclone_params_set(p, "peer", b) ||
            ifclone_stack_create_iface(s, p, NULL, NULL, &c))
            die("create epair");
        ifclone_created_free(c);
        ifclone_params_free(p);
        strcpy(store[i], a);
        names[i] = store[i];
    }
    double t1 = now();
    ifclone_iface_list *l = NULL;
    if (ifclone_stack_interfaces(s, &l))
        die("list");
    size_t len = ifclone_iface_list_len(l);
    ifclone_iface_list_free(l);
    double t2 = now();
    if (ifclone_stack_destroy_many(s, names, (size_t)n))
        die("destroy_many");
    double t3 = now();
    if (len != (size_t)(2 * n + 1))
        fprintf(stderr, "bench-ffi: listed %zu interfaces, not %d\n", len, 2 * n + 1);
    t[0] = t1 - t0, t[1] = t2 - t1, t[2] = t3 - t2;
    if (ifclone_stack_remove(s, false, NULL))
        die("remove stack");
    ifclone_stack_free(s);
    free(names);
    free(store);
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 200;
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    if (n < 1 || n > 4000 || reps < 1 || reps > 50) {
        fprintf(stderr, "usage: bench-ffi [N 1..4000 [REPS 1..50]]\n");
        return 2;
    }
    double ip[3][50], c[3][50];
    for (int r = 0; r < reps; r++) {
        double t[3];
        ip_sample(n, r, t);
        for (int k = 0; k < 3; k++)
            ip[k][r] = t[k];
        c_sample(n, r, t);
        for (int k = 0; k < 3; k++)
            c[k][r] = t[k];
    }
    const char *rows[3] = {"create %d epairs", "list %d interfaces", "destroy %d epairs, bulk"};
    int counts[3] = {n, 2 * n + 1, n};
    printf("| row | ip -batch min s | ip median s | libifclone min s | libifclone median s | "
           "ratio (medians) |\n|---|---:|---:|---:|---:|---:|\n");
    for (int k = 0; k < 3; k++) {
        qsort(ip[k], (size_t)reps, sizeof(double), cmp);
        qsort(c[k], (size_t)reps, sizeof(double), cmp);
        char row[64];
        snprintf(row, sizeof row, rows[k], counts[k]);
        double im = ip[k][reps / 2], cm = c[k][reps / 2];
        printf("| %s | %.3f | %.3f | %.3f | %.3f | %.2f |\n", row, ip[k][0], im, c[k][0], cm,
               cm / im);
    }

    /* The boundary alone. */
    ifclone_stack *host = NULL;
    ifclone_iface *lo = NULL;
    if (ifclone_stack_host(&host) || ifclone_stack_interface(host, "lo", &lo))
        die("open lo");
    const long calls = 1000000;
    unsigned long sum = 0;
    double t0 = now();
    for (long i = 0; i < calls; i++)
        sum += ifclone_iface_mtu(lo);
    double t1 = now();
    uint8_t mac[6];
    for (long i = 0; i < calls; i++)
        sum += (unsigned long)ifclone_iface_mac(lo, mac);
    double t2 = now();
    printf("\nboundary alone, %ld calls each: ifclone_iface_mtu %.0f ns/call, "
           "ifclone_iface_mac %.0f ns/call (checksum %lu)\n",
           calls, (t1 - t0) / (double)calls * 1e9, (t2 - t1) / (double)calls * 1e9, sum % 7);
    ifclone_iface_free(lo);
    ifclone_stack_free(host);
    return 0;
}
