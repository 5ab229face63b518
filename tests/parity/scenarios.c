/*
 * The scenario table: name, function, and the minimum ca_loads_avoided the
 * run must report with the shim. The minimum counts only repeat loads of an
 * unchanged, successfully parsed file through a hooked route with the
 * default library context; failed loads, directories, DER files and other
 * library contexts are allowed to pass through, so they count for nothing.
 */
#include "harness.h"
#include "scenarios.h"

const struct scenario scenarios[] = {
    { "route-ctx-default-verify-paths",          sc_route_ctx_default_verify_paths,       1 },
    { "route-ctx-load-verify-locations-file",    sc_route_ctx_load_verify_locations_file, 2 },
    { "route-ctx-load-verify-locations-dir",     sc_route_ctx_load_verify_locations_dir,  0 },
    { "route-ctx-load-verify-locations-both",    sc_route_ctx_load_verify_locations_both, 1 },
    { "route-ctx-load-verify-locations-null",    sc_route_ctx_load_verify_locations_null, 0 },
    { "route-ctx-load-verify-file",              sc_route_ctx_load_verify_file,           1 },
    { "route-ctx-set-default-verify-file",       sc_route_ctx_set_default_verify_file,    1 },
    { "route-store-set-default-paths",           sc_route_store_set_default_paths,        2 },
    { "route-store-load-locations",              sc_route_store_load_locations,           2 },
    { "route-store-load-file",                   sc_route_store_load_file,                2 },
    { "route-lookup-ctrl-file-load",             sc_route_lookup_ctrl_file_load,          3 },
    { "route-lookup-filetype-default",           sc_route_lookup_filetype_default,        2 },
    { "route-load-cert-crl-file",                sc_route_load_cert_crl_file,             2 },
    { "route-load-cert-file-pem",                sc_route_load_cert_file_pem,             1 },
    { "route-load-cert-file-der",                sc_route_load_cert_file_der,             0 },
    { "route-hash-dir-lookup",                   sc_route_hash_dir_lookup,                0 },
    { "route-ex-libctx",                         sc_route_ex_libctx,                      0 },

    { "env-file-and-dir-set",                    sc_env_file_and_dir_set,                 1 },
    { "env-unset",                               sc_env_unset,                            1 },
    { "env-file-missing",                        sc_env_file_missing,                     0 },
    { "env-file-changed",                        sc_env_file_changed,                     2 },
    { "env-dir-changed",                         sc_env_dir_changed,                      2 },

    { "bundle-missing",                          sc_bundle_missing,                       0 },
    { "bundle-empty",                            sc_bundle_empty,                         0 },
    { "bundle-corrupt",                          sc_bundle_corrupt,                       0 },
    { "bundle-der-as-pem",                       sc_bundle_der_as_pem,                    0 },
    { "bundle-crl",                              sc_bundle_crl,                           2 },
    { "bundle-trusted-certificate",              sc_bundle_trusted_certificate,           3 },
    { "preexisting-error",                       sc_preexisting_error,                    8 },

    { "dup-same-file-one-store",                 sc_dup_same_file_one_store,              4 },
    { "dup-identical-bytes-two-paths",           sc_dup_identical_bytes_two_paths,        3 },
    { "dup-overlapping-bundles",                 sc_dup_overlapping_bundles,              3 },

    { "rotate-ca-removed",                       sc_rotate_ca_removed,                    2 },
    { "rotate-ca-added",                         sc_rotate_ca_added,                      3 },
    { "rotate-same-size-same-second",            sc_rotate_same_size_same_second,         2 },
    { "rotate-atomic-rename",                    sc_rotate_atomic_rename,                 2 },
    { "rotate-symlink-retarget",                 sc_rotate_symlink_retarget,              2 },
    { "rotate-file-deleted",                     sc_rotate_file_deleted,                  1 },
    { "rotate-touch",                            sc_rotate_touch,                         2 },
    { "rotate-default-file",                     sc_rotate_default_file,                  2 },

    { "isolation-add-cert",                      sc_isolation_add_cert,                   2 },
    { "isolation-add-before-load",               sc_isolation_add_before_load,            1 },
    { "isolation-store-flags",                   sc_isolation_store_flags,                2 },
    { "isolation-add-crl",                       sc_isolation_add_crl,                    1 },
    { "isolation-free-order",                    sc_isolation_free_order,                 2 },

    { "threads-same-bundle",                     sc_threads_same_bundle,                  1 },
    { "threads-mixed-bundles",                   sc_threads_mixed_bundles,                2 },
    { "threads-mixed-routes",                    sc_threads_mixed_routes,                 1 },
    { "fork-after-load",                         sc_fork_after_load,                      1 },
};

const size_t n_scenarios = sizeof(scenarios) / sizeof(scenarios[0]);
