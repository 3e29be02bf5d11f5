#!/usr/bin/env bash
# Make the working tree light enough to travel to a GPU machine (at most 64 MiB), and put it back:
#   bash scripts/gpu_pair/slim.sh away    # move the big tracked files out of the tree, into $STASH
#   bash scripts/gpu_pair/slim.sh back    # move them back where they were
# What goes: the course folders (release/ is rebuilt anyway, raw_data/, models/, audio_examples/, the
# graded samples) and every run's saved weights (training/*/*.h5); the trainer needs none of them
# (run on the corpus and dev set carried in gpu/, see setup.sh). Moves, never copies, never deletes,
# and never moves over a file: `away` refuses if the stash is already there, `back` if a path has
# been re-made in the tree meanwhile. Afterwards `git status` shows a clean tree again.
set -euo pipefail
STASH=${STASH:-../gpu-stash}
cd "$(git rev-parse --show-toplevel)"
case "${1:-}" in
  away)
    if [ -e "$STASH" ]; then echo "slim.sh: $STASH already exists: run 'slim.sh back' first" >&2; exit 1; fi
    mkdir -p "$STASH"
    { printf '%s\n' release raw_data models audio_examples feedback autograded submitted; git ls-files 'training/*.h5'; } |
      while read -r p; do
        [ -e "$p" ] || continue
        mkdir -p "$STASH/$(dirname "$p")"; mv "$p" "$STASH/$p"; echo "$p" >> "$STASH/.moved"
      done
    echo "moved $(wc -l < "$STASH/.moved") paths to $STASH; the tree now holds $(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1) bytes of tracked files"
    ;;
  back)
    if [ ! -f "$STASH/.moved" ]; then echo "slim.sh: nothing to put back ($STASH/.moved is missing)" >&2; exit 1; fi
    while read -r p; do
      if [ -e "$p" ]; then echo "slim.sh: $p is in the tree again; left its stashed copy in $STASH/$p" >&2; continue; fi
      mkdir -p "$(dirname "$p")"; mv "$STASH/$p" "$p"
    done < "$STASH/.moved"
    rm "$STASH/.moved"; find "$STASH" -depth -type d -empty -delete
    if [ -e "$STASH" ]; then echo "slim.sh: $STASH still holds files (see above)" >&2; exit 1; fi
    echo "put everything back"
    ;;
  *) echo "usage: slim.sh away|back" >&2; exit 2 ;;
esac
