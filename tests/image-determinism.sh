#!/bin/sh
# image-determinism.sh DIR KIND...: rebuild each KIND in a temp dir and
# check it is byte-identical (same sha256) to DIR/KIND.img, which the
# build_test_images fixture built earlier, at another time.
set -eu
here=$(dirname "$0")
dir=$1
shift
scratch=$(mktemp -d "${TMPDIR:-/tmp}/ext4fh-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
status=0
for kind in "$@"; do
	"$here/../images/make-image.sh" "$kind" "$scratch/$kind.img" >/dev/null
	first=$(sha256sum <"$dir/$kind.img")
	second=$(sha256sum <"$scratch/$kind.img")
	if [ "$first" = "$second" ]; then
		echo "ok $kind: ${first%% *}"
	else
		echo "FAIL $kind: ${first%% *} then ${second%% *}"
		status=1
	fi
	rm -f "$scratch/$kind.img"
done
exit $status
