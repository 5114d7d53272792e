/*
 * ifc-mini: ifclone from C. Creates a stack and an epair whose b end goes straight into it,
 * moves the a end into the stack and back home, prints each receipt, then removes the stack
 * (the b end, a loan from the host, comes home first) and destroys the pair.
 *
 *   cc -Wall -Wextra -Werror ffi/examples/ifc-mini.c $(pkg-config --cflags --libs ifclone) -o ifc-mini
 *   ./ifc-mini [STACK [IFBASE [keep|remove]]]      (as root)
 *
 * STACK defaults to ifc-mini, IFBASE (the pair is IFBASEa / IFBASEb) to icmini. `keep` stops
 * before the removal, leaving the stack and the pair for inspection; `remove` only removes a
 * kept stack and destroys the pair. Exit status 0 when every step worked, 1 otherwise.
 */
#include <ifclone.h>
#include <stdio.h>
#include <string.h>

static int failed(const char *what, ifclone_result r) {
    fprintf(stderr, "ifc-mini: %s: %s: %s\n", what, ifclone_result_name(r),
            ifclone_last_error_message());
    return 1;
}

#define TRY(what, call)                                                                         \
    do {                                                                                        \
        ifclone_result r_ = (call);                                                             \
        if (r_ != IFCLONE_RESULT_OK) {                                                          \
            status = failed(what, r_);                                                          \
            goto out;                                                                           \
        }                                                                                       \
    } while (0)

static void print_receipt(const char *step, const ifclone_receipt *r) {
    printf("%s: %s\n", step, ifclone_receipt_text(r));
    for (size_t i = 0; i < ifclone_receipt_len(r, IFCLONE_RECEIPT_NOT_CARRIED); i++)
        printf("  (not carried: %s)\n", ifclone_receipt_item(r, IFCLONE_RECEIPT_NOT_CARRIED, i));
}

int main(int argc, char **argv) {
    const char *stack_name = argc > 1 ? argv[1] : "ifc-mini";
    const char *base = argc > 2 ? argv[2] : "icmini";
    const char *mode = argc > 3 ? argv[3] : "";
    char a[32], b[32];
    int status = 0;
    ifclone_stack *host = NULL, *jail = NULL;
    ifclone_params *params = NULL;
    ifclone_created *made = NULL;
    ifclone_receipt *in = NULL, *back = NULL;
    ifclone_remove_report *report = NULL;

    if (snprintf(a, sizeof a, "%sa", base) >= (int)sizeof a ||
        snprintf(b, sizeof b, "%sb", base) >= (int)sizeof b) {
        fprintf(stderr, "ifc-mini: IFBASE is too long\n");
        return 2;
    }
    printf("ifclone %s\n", ifclone_version());
    TRY("open the host stack", ifclone_stack_host(&host));

    if (strcmp(mode, "remove") != 0) {
        TRY("create the stack", ifclone_stack_create(stack_name, &jail));
        printf("created stack %s\n", ifclone_stack_name(jail));

        TRY("epair parameters", ifclone_params_new("epair", &params));
        TRY("name", ifclone_params_set(params, "name", a));
        TRY("peer", ifclone_params_set(params, "peer", b));
        TRY("up", ifclone_params_set(params, "up", NULL));
        TRY("create the epair", ifclone_stack_create_iface(host, params, NULL, jail, &made));
        const ifclone_iface *ia = ifclone_created_iface(made);
        const ifclone_iface *ib = ifclone_created_peer(made);
        printf("created %s (index %u, in %s) and %s (in %s)\n", ifclone_iface_name(ia),
               ifclone_iface_index(ia), ifclone_iface_stack(ia), ifclone_iface_name(ib),
               ifclone_iface_stack(ib));

        TRY("move the a end in", ifclone_vmove(host, a, jail, NULL, &in));
        print_receipt("moved in", in);
        TRY("move it back home", ifclone_reclaim(jail, a, NULL, &back));
        print_receipt("moved back", back);
        if (strcmp(mode, "keep") == 0) {
            printf("kept stack %s with %s in it and %s in the host\n", stack_name, b, a);
            goto out;
        }
    } else {
        TRY("open the stack", ifclone_stack_open(stack_name, &jail));
    }

    TRY("remove the stack", ifclone_stack_remove(jail, false, &report));
    for (size_t i = 0; i < ifclone_remove_report_len(report, IFCLONE_REMOVE_RETURNED); i++)
        printf("returned %s to %s\n", ifclone_remove_report_name(report, IFCLONE_REMOVE_RETURNED, i),
               ifclone_remove_report_detail(report, IFCLONE_REMOVE_RETURNED, i));
    printf("removed stack %s\n", stack_name);
    TRY("destroy the epair", ifclone_stack_destroy(host, a));
    printf("destroyed %s and %s\n", a, b);

out:
    ifclone_remove_report_free(report);
    ifclone_receipt_free(back);
    ifclone_receipt_free(in);
    ifclone_created_free(made);
    ifclone_params_free(params);
    ifclone_stack_free(jail);
    ifclone_stack_free(host);
    if (status == 0)
        printf("ifc-mini done\n");
    return status;
}
