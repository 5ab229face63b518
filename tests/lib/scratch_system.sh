# shellcheck shell=bash
# A scratch copy of a cached pristine Debian system (tools/debian-env), for
# suites that install into a fresh system and must leave nothing behind.
#
#   scratch_system DENV PRISTINE NAME KEEP
#     copies PRISTINE to $scratch/system, where $scratch is a new directory
#     NAME.XXXXXX under $TRUSTCACHE_SCRATCH (default /var/tmp/trustcache), and
#     removes both at exit unless KEEP is non-empty (it then says where).
#     Sets $scratch; uses the caller's say().

scratch_system() {
	local denv=$1 pristine=$2 name=$3 keep=$4 root=${TRUSTCACHE_SCRATCH:-/var/tmp/trustcache}

	mkdir -p "$root"
	scratch=$(mktemp -d "$root/$name.XXXXXX")
	_scratch_denv=$denv
	_scratch_keep=$keep
	trap _scratch_remove EXIT
	"$denv" --copy "$pristine" "$scratch/system"
}

# shellcheck disable=SC2317 # called by the EXIT trap
_scratch_remove() {
	if [ -n "$_scratch_keep" ]; then
		say "kept $scratch/system"
	else
		"$_scratch_denv" --remove "$scratch/system" || true
		rmdir "$scratch" 2>/dev/null || true
	fi
}
