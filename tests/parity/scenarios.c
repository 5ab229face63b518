/*
 * The scenario table: name, function, the minimum ca_loads_avoided the run
 * must report with the shim, the minimum contexts_shared with sharing on,
 * and the number of template warning lines the with-shim run prints.
 *
 * The avoided minimum counts only repeat loads of an unchanged, successfully
 * parsed file through a hooked route with the default library context;
 * failed loads, directories, DER files and other library contexts are
 * allowed to pass through, so they count for nothing. The shared minimum
 * counts context-level loads (SSL_CTX_*) into contexts whose store was never
 * handed out or replaced. Both must hold for any thread count, down to one.
 */
#include "harness.h"
#include "scenarios.h"

const struct scenario scenarios[] = {
    {"route-ctx-default-verify-paths", sc_route_ctx_default_verify_paths, 1, 0, 0},
    {"route-ctx-load-verify-locations-file", sc_route_ctx_load_verify_locations_file, 2, 0, 0},
    {"route-ctx-load-verify-locations-dir", sc_route_ctx_load_verify_locations_dir, 0, 0, 0},
    {"route-ctx-load-verify-locations-both", sc_route_ctx_load_verify_locations_both, 1, 0, 0},
    {"route-ctx-load-verify-locations-null", sc_route_ctx_load_verify_locations_null, 0, 0, 0},
    {"route-ctx-load-verify-file", sc_route_ctx_load_verify_file, 1, 0, 0},
    {"route-ctx-set-default-verify-file", sc_route_ctx_set_default_verify_file, 1, 0, 0},
    {"route-store-set-default-paths", sc_route_store_set_default_paths, 2, 0, 0},
    {"route-store-load-locations", sc_route_store_load_locations, 2, 0, 0},
    {"route-store-load-file", sc_route_store_load_file, 2, 0, 0},
    {"route-lookup-ctrl-file-load", sc_route_lookup_ctrl_file_load, 3, 0, 0},
    {"route-lookup-filetype-default", sc_route_lookup_filetype_default, 2, 0, 0},
    {"route-load-cert-crl-file", sc_route_load_cert_crl_file, 2, 0, 0},
    {"route-load-cert-file-pem", sc_route_load_cert_file_pem, 1, 0, 0},
    {"route-load-cert-file-der", sc_route_load_cert_file_der, 0, 0, 0},
    {"route-hash-dir-lookup", sc_route_hash_dir_lookup, 0, 0, 0},
#ifndef PARITY_OSSL_111
    {"route-ex-libctx", sc_route_ex_libctx, 0, 0, 0},
#endif

    {"env-file-and-dir-set", sc_env_file_and_dir_set, 1, 0, 0},
    {"env-unset", sc_env_unset, 1, 0, 0},
    {"env-file-missing", sc_env_file_missing, 0, 0, 0},
    {"env-file-changed", sc_env_file_changed, 2, 0, 0},
    {"env-dir-changed", sc_env_dir_changed, 2, 0, 0},

    {"bundle-missing", sc_bundle_missing, 0, 0, 0},
    {"bundle-empty", sc_bundle_empty, 0, 0, 0},
    {"bundle-corrupt", sc_bundle_corrupt, 0, 0, 0},
    {"bundle-der-as-pem", sc_bundle_der_as_pem, 0, 0, 0},
    {"bundle-crl", sc_bundle_crl, 2, 0, 0},
    {"bundle-trusted-certificate", sc_bundle_trusted_certificate, 3, 0, 0},
    {"preexisting-error", sc_preexisting_error, 8, 0, 0},

    {"dup-same-file-one-store", sc_dup_same_file_one_store, 4, 0, 0},
    {"dup-identical-bytes-two-paths", sc_dup_identical_bytes_two_paths, 3, 0, 0},
    {"dup-overlapping-bundles", sc_dup_overlapping_bundles, 3, 0, 0},
    {"dup-trailing-sorts", sc_dup_trailing_sorts, 3, 0, 0},

    {"rotate-ca-removed", sc_rotate_ca_removed, 2, 0, 0},
    {"rotate-ca-added", sc_rotate_ca_added, 3, 0, 0},
    {"rotate-same-size-same-second", sc_rotate_same_size_same_second, 2, 0, 0},
    {"rotate-atomic-rename", sc_rotate_atomic_rename, 2, 0, 0},
    {"rotate-symlink-retarget", sc_rotate_symlink_retarget, 2, 0, 0},
    {"rotate-file-deleted", sc_rotate_file_deleted, 1, 0, 0},
    {"rotate-touch", sc_rotate_touch, 2, 0, 0},
    {"rotate-default-file", sc_rotate_default_file, 2, 0, 0},

    {"isolation-add-cert", sc_isolation_add_cert, 2, 0, 0},
    {"isolation-add-before-load", sc_isolation_add_before_load, 1, 0, 0},
    {"isolation-store-flags", sc_isolation_store_flags, 2, 0, 0},
    {"isolation-add-crl", sc_isolation_add_crl, 1, 0, 0},
    {"isolation-free-order", sc_isolation_free_order, 2, 0, 0},

    {"threads-same-bundle", sc_threads_same_bundle, 1, 0, 0},
    {"threads-mixed-bundles", sc_threads_mixed_bundles, 1, 0, 0},
    {"threads-mixed-routes", sc_threads_mixed_routes, 1, 0, 0},
    {"fork-after-load", sc_fork_after_load, 1, 0, 0},
    {"threads-first-calls", sc_threads_first_calls, 1, 1, 0},

    {"share-store-before-load", sc_share_store_before_load, 3, 3, 0},
    {"share-python-cadata", sc_share_python_cadata, 2, 3, 0},
    {"share-crl-check-flag", sc_share_crl_check_flag, 2, 3, 0},
    {"share-node-root-store", sc_share_node_root_store, 4, 5, 0},
    {"share-every-template", sc_share_every_template, 5, 8, 0},
    {"share-set-cert-store-then-load", sc_share_set_cert_store_then_load, 3, 2, 0},
    {"share-store-handed-over", sc_share_store_handed_over, 2, 3, 0},
    {"share-file-order", sc_share_file_order, 4, 6, 0},
    {"share-verify-cb-adds-cert", sc_share_verify_cb_adds_cert, 2, 3, 0},
    {"share-verify-cb-store-reused", sc_share_verify_cb_store_reused, 2, 3, 0},
    {"share-verify-cb-early-late", sc_share_verify_cb_early_late, 2, 3, 0},
    {"share-verify-cb-adds-crl", sc_share_verify_cb_adds_crl, 2, 3, 0},
    {"share-verify-cb-threads", sc_share_verify_cb_threads, 2, 3, 0},
    {"share-cert-dir-recipes", sc_share_cert_dir_recipes, 2, 3, 0},
    {"share-set-default-verify-dir", sc_share_set_default_verify_dir, 3, 4, 0},
    {"share-hashdir-enumerate", sc_share_hashdir_enumerate, 0, 2, 0},
    {"share-hashdir-enumerate-shared", sc_share_hashdir_enumerate_shared, 2, 3, 0},
    {"share-enumerate-order", sc_share_enumerate_order, 3, 6, 0},
    {"share-up-ref-free-order", sc_share_up_ref_free_order, 2, 3, 0},
    {"share-rotation-outlives", sc_share_rotation_outlives, 1, 4, 0},
    {"share-many-recipes", sc_share_many_recipes, 90, 90, 0},
#ifndef PARITY_OSSL_111
    {"share-libctx-recycled", sc_share_libctx_recycled, 0, 0, 0},
#endif
    {"share-mtls-two-clients", sc_share_mtls_two_clients, 6, 8, 0},
    {"share-handout-during-handshakes", sc_share_handout_during_handshakes, 1, 2, 0},
    {"share-hashdir-lazy-threads", sc_share_hashdir_lazy_threads, 1, 2, 0},
};

const size_t n_scenarios = sizeof(scenarios) / sizeof(scenarios[0]);

const struct skipped_scenario skipped_scenarios[] = {
#ifdef PARITY_OSSL_111
    {"route-ex-libctx", "needs a library context of its own: OSSL_LIB_CTX is 3.0 API"},
    {"share-libctx-recycled", "needs library contexts of its own: OSSL_LIB_CTX is 3.0 API"},
#endif
    {NULL, NULL},
};
