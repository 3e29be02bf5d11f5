"""CPU seconds per training example for run recipes, each made as the trainer makes it.

    python scripts/example_cost.py [--n 60] run78 run61 'run78 p_pitch=0'

Each argument is a run folder under ``training/`` whose ``recipe.json`` is read, optionally with
``KEY=JSON`` changes after it. Examples ``(1, 0, i)`` for i < n, on ``cache/corpus``; one core, CPU
time (not wall-clock), after one example to warm up (imports, caches).
"""
import argparse
import json
import time

import numpy as np

from triggerword.train import RECIPE, load_corpus, make_training_example, read_recipe


def recipe_of(spec):
    run, *changes = spec.split()
    recipe = dict(RECIPE)
    recipe.update(read_recipe(f"training/{run}")[1])  # what --recipe reads, checked the same way
    for change in changes:
        key, _, value = change.partition("=")
        recipe[key] = json.loads(value)
    return recipe


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("specs", nargs="+")
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--corpus", default="cache/corpus")
    args = parser.parse_args()
    recipes = [recipe_of(s) for s in args.specs]
    corpus = load_corpus(args.corpus, recipes[0], warn=lambda *a: None)  # the first recipe's mined files
    make_training_example(corpus, np.random.default_rng(0), recipes[0])
    for spec, recipe in zip(args.specs, recipes):
        start = time.process_time()
        for i in range(args.n):
            make_training_example(corpus, np.random.default_rng([1, 0, i]), recipe)
        print(f"{spec}: {(time.process_time() - start) / args.n:.4f} s CPU per example")


if __name__ == "__main__":
    main()
