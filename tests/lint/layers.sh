#!/bin/bash
# The include direction of shim/: each folder is a layer, and a file may
# include headers of its own layer and of the layers below it, never above.
# Usage: layers.sh [SHIM_DIR]   (exit 1 and one line per violation)
set -euo pipefail

RULE="shim layers, lowest first: base ossl cache report contexts serve process hooks; a file includes only its own layer's headers and lower ones, as \"layer/file.h\""
LAYERS=(base ossl cache report contexts serve process hooks)
dir=${1:-shim}

rank() {
    local i
    for i in "${!LAYERS[@]}"; do
        [ "${LAYERS[$i]}" = "$1" ] && { echo "$i"; return; }
    done
    echo -1
}

bad=0
complain() {
    echo "layers: $1" >&2
    bad=1
}

for f in "$dir"/*; do
    [ -d "$f" ] || complain "$f: files live in a layer folder"
done

files=0
while IFS= read -r f; do
    files=$((files + 1))
    layer=${f#"$dir"/}
    layer=${layer%%/*}
    own=$(rank "$layer")
    [ "$own" -ge 0 ] || { complain "$f: folder '$layer' is not a layer (add it to LAYERS in $0)"; continue; }
    while IFS=: read -r line inc; do
        target=${inc%%/*}
        if [ "$target" = "$inc" ]; then
            complain "$f:$line: #include \"$inc\" names no layer"
            continue
        fi
        theirs=$(rank "$target")
        if [ "$theirs" -lt 0 ]; then
            complain "$f:$line: #include \"$inc\": '$target' is not a layer"
        elif [ "$theirs" -gt "$own" ]; then
            complain "$f:$line: $layer includes $inc, a higher layer"
        fi
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
        sed 's/^\([0-9]*\):.*"\([^"]*\)".*/\1:\2/')
done < <(find "$dir" -mindepth 2 -type f \( -name '*.c' -o -name '*.h' -o -name '*.def' \) | sort)

if [ "$bad" != 0 ]; then
    echo "layers: the rule: $RULE" >&2
    exit 1
fi
echo "lint: layers: $files shim files include only their own layer and lower ones (${LAYERS[*]})"
