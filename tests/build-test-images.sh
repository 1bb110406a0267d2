#!/bin/sh
# build-test-images.sh DIR KIND...: build the test images the integration
# tests use into DIR. An image that is already there and newer than every
# script in images/ is kept, so reruns of ctest in one build tree are fast.
set -eu
here=$(dirname "$0")
images=$here/../images
dir=$1
shift
mkdir -p "$dir"
for kind in "$@"; do
	image=$dir/$kind.img
	if [ -f "$image" ] && [ -z "$(find "$images" -newer "$image" -type f)" ]; then
		echo "$kind: up to date"
		continue
	fi
	rm -f "$image"
	"$images/make-image.sh" "$kind" "$image"
done
