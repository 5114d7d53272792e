/*
 * A VM/container manager's life cycle through the C API (run as root by ci/ffi.sh, also under
 * AddressSanitizer): a watcher over two stacks sees an epair arrive and move (one event with
 * both ends); vmove_many with options and its receipts; a supervised macvtap lives through its
 * lower's loss and return (generation 1, lost, generation 2, each with new fds); a tap endpoint
 * from the stored JSON is attached with its queue fds and detached; recovery finds nothing to
 * do; the stack is removed.
 *
 *   lifecycle TAG      (TAG makes the names unique, at most 6 characters)
 */
#include <ifclone.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures = 0;

static void check(int line, const char *what, int cond) {
    printf("%s %s\n", cond ? "ok  " : "FAIL", what);
    if (!cond) {
        fprintf(stderr, "line %d: %s (last error: %s)\n", line, what,
                ifclone_last_error_message());
        failures++;
    }
}
#define CHECK(what, cond) check(__LINE__, what, (cond))
#define OK(what, call) CHECK(what, (call) == IFCLONE_RESULT_OK)

/* Reads events until one of `type` about interface `name` (NULL: any) in `stack` comes, for at
 * most ~10 s. Returns it (the caller frees it) or NULL. */
static ifclone_event *wait_event(ifclone_watch *w, const char *type, const char *name,
                                 const char *stack) {
    for (int i = 0; i < 50; i++) {
        ifclone_event *e = NULL;
        if (ifclone_watch_next(w, 200, &e) != IFCLONE_RESULT_OK)
            return NULL;
        if (!e)
            continue;
        const ifclone_iface *ifc = ifclone_event_iface(e);
        int match = strcmp(ifclone_event_type(e), type) == 0 &&
                    strcmp(ifclone_event_stack(e), stack) == 0 &&
                    (!name || (ifc && strcmp(ifclone_iface_name(ifc), name) == 0));
        if (match)
            return e;
        ifclone_event_free(e);
    }
    return NULL;
}

/* The next supervisor step of `type`, skipping others, for at most ~10 s. */
static ifclone_supervised *wait_step(ifclone_supervisor *s, const char *type) {
    for (int i = 0; i < 50; i++) {
        ifclone_supervised *st = NULL;
        if (ifclone_supervisor_next(s, 200, &st) != IFCLONE_RESULT_OK)
            return NULL;
        if (!st)
            continue;
        printf("     supervisor: %s generation %llu %s\n", ifclone_supervised_type(st),
               (unsigned long long)ifclone_supervised_generation(st),
               ifclone_supervised_detail(st) ? ifclone_supervised_detail(st) : "");
        if (strcmp(ifclone_supervised_type(st), type) == 0)
            return st;
        ifclone_supervised_free(st);
    }
    return NULL;
}

static int make_epair(const ifclone_stack *in, const char *a, const char *b,
                      const ifclone_stack *peer_in) {
    ifclone_params *p = NULL;
    ifclone_created *c = NULL;
    int ok = ifclone_params_new("epair", &p) == IFCLONE_RESULT_OK &&
             ifclone_params_set(p, "name", a) == IFCLONE_RESULT_OK &&
             ifclone_params_set(p, "peer", b) == IFCLONE_RESULT_OK &&
             ifclone_params_set(p, "up", NULL) == IFCLONE_RESULT_OK &&
             ifclone_stack_create_iface(in, p, NULL, peer_in, &c) == IFCLONE_RESULT_OK;
    ifclone_created_free(c);
    ifclone_params_free(p);
    return ok;
}

int main(int argc, char **argv) {
    char tag[8], stack[64], a[32], b[32], mvt[32], tap[32];
    snprintf(tag, sizeof tag, "%.6s", argc > 1 ? argv[1] : "t");
    snprintf(stack, sizeof stack, "ifc-life-%s", tag);
    snprintf(a, sizeof a, "icl%sa", tag);
    snprintf(b, sizeof b, "icl%sb", tag);
    snprintf(mvt, sizeof mvt, "icl%sm", tag);
    snprintf(tap, sizeof tap, "icl%st", tag);
    ifclone_stack *host = NULL, *life = NULL;
    if (ifclone_stack_host(&host) != IFCLONE_RESULT_OK ||
        ifclone_stack_create(stack, &life) != IFCLONE_RESULT_OK) {
        fprintf(stderr, "lifecycle: %s\n", ifclone_last_error_message());
        return 1;
    }

    /* Watch both stacks; an epair across arrives in each, then the a end moves. */
    ifclone_watch *w = NULL;
    const ifclone_stack *both[] = {host, life};
    OK("watch host and the stack", ifclone_watch_new(both, 2, &w));
    int wfd = ifclone_watch_fd(w);
    CHECK("the watcher has a pollable fd", wfd >= 0);
    CHECK("an epair across", make_epair(host, a, b, life));
    struct pollfd pfd = {.fd = wfd, .events = POLLIN};
    CHECK("the fd polls readable", poll(&pfd, 1, 5000) == 1);
    ifclone_event *e = wait_event(w, "arrived", a, "host");
    CHECK("arrived: the a end in the host", e != NULL);
    ifclone_event_free(e);
    e = wait_event(w, "arrived", b, stack);
    CHECK("arrived: the b end in the stack", e != NULL);
    ifclone_event_free(e);

    ifclone_move_options *o = NULL;
    OK("move options", ifclone_move_options_new(&o));
    OK("  strategy native", ifclone_move_options_set_strategy(o, "native"));
    CHECK("  a strategy that does not exist is refused",
          ifclone_move_options_set_strategy(o, "teleport") == IFCLONE_RESULT_INVALID_ARGUMENT);
    OK("  carry addresses", ifclone_move_options_set_carry_addresses(o, true));
    OK("an address on the a end", ifclone_stack_add_address(host, a, "192.0.2.1/24"));
    const char *names[] = {a};
    ifclone_receipt_list *rl = NULL;
    OK("vmove_many the a end into the stack", ifclone_vmove_many(host, names, 1, life, o, &rl));
    const ifclone_receipt *r = ifclone_receipt_list_get(rl, 0);
    CHECK("one receipt: the a end, now in the stack, moved natively",
          ifclone_receipt_list_len(rl) == 1 && strcmp(ifclone_receipt_name(r), a) == 0 &&
              strcmp(ifclone_receipt_to(r), stack) == 0 &&
              strcmp(ifclone_receipt_strategy(r), "native") == 0);
    CHECK("  its address carried",
          ifclone_receipt_len(r, IFCLONE_RECEIPT_ADDRESSES) == 1 &&
              strcmp(ifclone_receipt_item(r, IFCLONE_RECEIPT_ADDRESSES, 0), "192.0.2.1/24") == 0);
    printf("     %s\n", ifclone_receipt_text(r));
    ifclone_receipt_list_free(rl);
    ifclone_move_options_free(o);
    e = wait_event(w, "moved", a, stack);
    CHECK("moved: one event, from the host", e && ifclone_event_detail(e) &&
                                                strcmp(ifclone_event_detail(e), "host") == 0);
    ifclone_event_free(e);
    ifclone_watch_free(w);

    /* A supervised macvtap on the b end: lost with it, back with it. */
    ifclone_params *p = NULL;
    OK("macvtap parameters", ifclone_params_new("macvtap", &p));
    ifclone_params_set(p, "name", mvt);
    ifclone_params_set(p, "macvlandev", b);
    ifclone_supervisor *sup = NULL;
    OK("supervise a macvtap on the b end", ifclone_supervisor_start(life, p, NULL, 2, NULL, &sup));
    ifclone_params_free(p);
    CHECK("the supervisor has a pollable fd", ifclone_supervisor_fd(sup) >= 0);
    ifclone_supervised *st = wait_step(sup, "created");
    CHECK("created: generation 1", st && ifclone_supervised_generation(st) == 1 &&
                                       strcmp(ifclone_iface_name(ifclone_supervised_iface(st)),
                                              mvt) == 0 &&
                                       strcmp(ifclone_iface_name(ifclone_supervised_lower(st)),
                                              b) == 0);
    int fds[4];
    size_t n = 0;
    CHECK("  with two queue fds", st && ifclone_supervised_take_fds(st, fds, 4, &n) ==
                                                IFCLONE_RESULT_OK &&
                                            n == 2);
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
    ifclone_supervised_free(st);
    OK("the lower goes (the pair destroyed)", ifclone_stack_destroy(life, b));
    st = wait_step(sup, "lost");
    CHECK("lost: generation 1, its lower gone", st && ifclone_supervised_generation(st) == 1);
    ifclone_supervised_free(st);
    CHECK("the lower comes back", make_epair(life, b, a, NULL));
    st = wait_step(sup, "created");
    CHECK("created: generation 2", st && ifclone_supervised_generation(st) == 2 &&
                                       ifclone_supervisor_generation(sup) == 2);
    ifclone_supervised_free(st); /* closes its fds */
    OK("stop: the dependent goes", ifclone_supervisor_stop(sup));
    ifclone_supervisor_free(sup);
    ifclone_iface *gone = NULL;
    CHECK("  it is gone", ifclone_stack_interface(life, mvt, &gone) == IFCLONE_RESULT_NOT_FOUND);

    /* A tap endpoint from the stored JSON. */
    char json[1024];
    snprintf(json, sizeof json,
             "{\"format\":\"ifclone-endpoints\",\"version\":1,\"endpoints\":[{\"kind\":\"tap\","
             "\"net\":{\"name\":\"%s\",\"mac\":\"02:00:00:00:0a:01\",\"mtu\":1500,"
             "\"addresses\":[],\"routes\":[]},"
             "\"tap\":{\"name\":\"%s\",\"queues\":2,\"vnet_hdr\":true,\"vhost\":false}}]}",
             tap, tap);
    ifclone_endpoint *ep = NULL;
    CHECK("a damaged document is CORRUPT",
          ifclone_endpoint_attach(life, "{\"format\":\"ifclone-endpoints\"", 0, &ep) ==
                  IFCLONE_RESULT_CORRUPT &&
              ep == NULL);
    CHECK("an index past the list is NOT_FOUND",
          ifclone_endpoint_attach(life, json, 1, &ep) == IFCLONE_RESULT_NOT_FOUND);
    OK("attach the tap endpoint", ifclone_endpoint_attach(life, json, 0, &ep));
    CHECK("  two queue fds, no vhost", ifclone_endpoint_fd_count(ep, false) == 2 &&
                                            ifclone_endpoint_fd_count(ep, true) == 0);
    printf("     -netdev %s\n", ifclone_endpoint_qemu_netdev(ep));
    CHECK("  QEMU's netdev names the fds", strstr(ifclone_endpoint_qemu_netdev(ep), "fds=") != NULL);
    OK("  take the queue fds", ifclone_endpoint_take_fds(ep, false, fds, 4, &n));
    CHECK("  the tap is there", ifclone_stack_interface(life, tap, &gone) == IFCLONE_RESULT_OK);
    ifclone_iface_free(gone);
    gone = NULL;
    OK("detach", ifclone_endpoint_detach(ep));
    CHECK("  a second detach is refused", ifclone_endpoint_detach(ep) != IFCLONE_RESULT_OK);
    ifclone_endpoint_free(ep);
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
    CHECK("  the tap is gone", ifclone_stack_interface(life, tap, &gone) == IFCLONE_RESULT_NOT_FOUND);

    ifclone_recover_report *rr = NULL;
    OK("recover", ifclone_recover(&rr));
    CHECK("  nothing missing", !ifclone_recover_report_has_missing(rr));
    ifclone_recover_report_free(rr);

    ifclone_remove_report *rep = NULL;
    OK("remove the stack", ifclone_stack_remove(life, false, &rep));
    ifclone_remove_report_free(rep);
    ifclone_stack_free(life);
    ifclone_stack_free(host);
    printf("%s: %d failure(s)\n", failures ? "lifecycle FAILED" : "lifecycle passed", failures);
    return failures ? 1 : 0;
}
