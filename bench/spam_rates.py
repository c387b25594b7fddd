"""Print the anti-spam figures: detection and false positives, per signal and combined, and the
time to judge one message.

Run from the repository root: `python bench/spam_rates.py [--folds 5]`. Sections:
1. the fixed rules alone on the old labelled table (tests/domain/spam_cases.py): "before";
2. k-fold cross-validation on the shipped corpus (bot/data/spam), one line per signal and
   one for their combination, as a newcomer on probation is judged;
3. the combined judge (trained on the whole shipped corpus) on the old labelled table: "after";
4. the similarity threshold's effect: every corpus spam counts as removed by a moderator, and
   disguised copies of it (typos, look-alike letters, emoji, words dropped) come back;
   legitimate messages show what the threshold costs;
5. time per message (p50/p99), in CPU time of this process (the machine is shared, so wall
   time is printed too but mostly measures other processes), with every corpus spam remembered.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.domain.spam import MessageFacts, SpamPolicy  # noqa: E402
from bot.domain.spam_eval import COMBINED, Example, as_facts, cross_validate, train  # noqa: E402
from bot.domain.spam_judge import SpamJudge, Thresholds  # noqa: E402
from bot.spam_corpus import shipped_corpus  # noqa: E402
from tests.domain.spam_cases import CASES, case_facts, measure, report  # noqa: E402

SIMILARITY_STEPS = (70, 75, 80, 85, 90, 95)
_LOOKALIKE = str.maketrans("аеорсух", "aeopcyx")


def rates_line(name: str, detection: float, false_positive: float) -> str:
    return f"  {name:<12} detection {detection:6.1%}   false positives {false_positive:5.1%}"


def cross_validated(corpus: Sequence[Example], folds: int) -> None:
    print(f"\n== 2. {folds}-fold cross-validation on the shipped corpus "
          f"({sum(e.is_spam for e in corpus)} spam, {sum(not e.is_spam for e in corpus)} "
          "legitimate), newcomer on probation")  # fmt: skip
    tallies = cross_validate(corpus, k=folds)
    for name, tally in tallies.items():
        if name != COMBINED:
            print(rates_line(name, tally.detection, tally.false_positive))
    combined = tallies[COMBINED]
    print(rates_line(COMBINED, combined.detection, combined.false_positive))
    for text in combined.missed[:10]:
        print(f"    missed: {text[:80]!r}")
    for text in combined.flagged:
        print(f"    flagged: {text[:80]!r}")


def old_table_after(judge: SpamJudge) -> None:
    print("\n== 3. after: the combined judge on the old labelled table")
    spam = ham = caught = flagged = 0
    for case in CASES:
        verdict = judge.judge(
            case_facts(case), probation=case.on_probation, thresholds=Thresholds()
        )
        if case.is_spam:
            spam += 1
            caught += verdict.is_spam
        else:
            ham += 1
            flagged += verdict.is_spam
    print(rates_line(COMBINED, caught / spam, flagged / ham))
    print("  (cross-chat copies are not replayed here; section 1 counts them)")


def disguise(text: str, rng: random.Random) -> str:
    """A copy of a spam message as the next wave brings it."""
    words = text.split()
    if len(words) > 6 and rng.random() < 0.5:
        del words[rng.randrange(len(words))]
    if rng.random() < 0.3:
        words.insert(0, rng.choice(("Внимание!", "Всем привет!", "Срочно!")))
    chars = list(" ".join(words))
    for _ in range(max(1, len(chars) // rng.choice((10, 15, 25)))):
        i = rng.randrange(len(chars))
        action = rng.choice(("drop", "double", "swap"))
        if action == "drop":
            del chars[i]
        elif action == "double":
            chars.insert(i, chars[i])
        elif i + 1 < len(chars):
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
    copy = "".join(chars)
    if rng.random() < 0.5:
        copy = copy.translate(_LOOKALIKE)
    if rng.random() < 0.5:
        copy += " " + rng.choice(("🔥", "💰💰", "✅", "👇"))
    return copy


def similarity_effect(corpus: Sequence[Example]) -> None:
    print("\n== 4. similarity to removed spam: the threshold's effect (applies to everyone)")
    judge = train([e for e in corpus if e.is_spam], SpamPolicy(), remember=True)
    rng = random.Random(13)
    copies = [disguise(e.text, rng) for e in corpus if e.is_spam]
    hams = [e.text for e in corpus if not e.is_spam]
    for step in SIMILARITY_STEPS:
        thresholds = Thresholds(similarity=step)

        def fired(text: str, thresholds: Thresholds = thresholds) -> bool:
            verdict = judge.judge(as_facts(text), probation=False, thresholds=thresholds)
            return verdict.is_spam

        caught = sum(fired(text) for text in copies) / len(copies)
        false = sum(fired(text) for text in hams) / len(hams)
        print(rates_line(f"≥ {step} %", caught, false))


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def timing(corpus: Sequence[Example], rounds: int = 5) -> None:
    print("\n== 5. time to judge one message (every corpus spam remembered as removed)")
    judge = train(corpus, SpamPolicy(), remember=True)
    messages = [as_facts(e.text) for e in corpus]
    thresholds = Thresholds()
    for name, clock in (("CPU", time.process_time), ("wall", time.perf_counter)):
        spent = measure_each(judge, messages, thresholds, clock, rounds)
        p50, p99 = percentile(spent, 0.5) * 1e3, percentile(spent, 0.99) * 1e3
        print(f"  {name:<5} p50 {p50:.3f} ms   p99 {p99:.3f} ms   over {len(spent)} messages")


def measure_each(
    judge: SpamJudge,
    messages: Sequence[MessageFacts],
    thresholds: Thresholds,
    clock: Callable[[], float],
    rounds: int,
) -> list[float]:
    spent = []
    for _ in range(rounds):
        for facts in messages:
            started = clock()
            judge.judge(facts, probation=True, thresholds=thresholds)
            spent.append(clock() - started)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    corpus = shipped_corpus()
    print("== 1. before: the fixed rules alone on the old labelled table")
    print(report(measure()))
    cross_validated(corpus, args.folds)
    old_table_after(train(corpus, SpamPolicy(), remember=False))
    similarity_effect(corpus)
    timing(corpus)


if __name__ == "__main__":
    main()
