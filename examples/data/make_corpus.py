#!/usr/bin/env python3
"""Writes corpus.txt, the built-in training text of examples/ngram.c: simple
village tales from a small hand-written grammar (original text, public
domain). One sentence per line, lower case, punctuation split off.
Deterministic: python3 make_corpus.py [sentences] > corpus.txt"""
import random
import sys

R = random.Random(7)
NAMES = "anna bram cora dunstan edith felix greta hugo ida jonas lena milo nora oskar petra rufus selma tobias una wren".split()
PEOPLE = "miller baker smith weaver fisher shepherd farmer hunter potter carpenter healer merchant widow child girl boy stranger soldier priest innkeeper".split()
ANIMALS = "dog cat horse goat sheep crow fox owl cow pig hen wolf bear deer hare".split()
THINGS = "bread basket lantern coat knife rope bell letter key cart boat book candle cup blanket axe apple stone ring map".split()
PLACES = "river mill forest market bridge church inn well field hill road harbour garden barn square meadow orchard tower cellar kitchen".split()
ADJ = "old young tall quiet tired brave kind angry small poor rich clever lonely cheerful grey red little strange careful hungry".split()
TIMES = "at dawn|in the morning|at noon|in the evening|at night|before supper|after the rain|on market day|in winter|in spring|every sunday|one autumn".split("|")
WEATHER = "the rain fell on the roofs|the wind came down from the hills|snow covered the fields|the sun was warm on the stones|fog lay over the river|a storm broke over the village|the frost was hard and white|the sky was clear and cold".split("|")
VT = [("carried", "carries"), ("found", "finds"), ("sold", "sells"), ("mended", "mends"), ("lost", "loses"),
      ("hid", "hides"), ("bought", "buys"), ("gave away", "gives away"), ("cleaned", "cleans"), ("painted", "paints")]
VI = ["walked", "ran", "waited", "sang", "slept", "worked", "listened", "prayed", "laughed", "looked around"]
FEEL = ["happy", "afraid", "sad", "proud", "worried", "surprised", "calm", "glad"]
SAY = ["said", "whispered", "shouted", "asked", "told the others", "muttered"]


def c(xs):
    return R.choice(xs)


def person():
    r = R.random()
    if r < 0.35:
        return c(NAMES)
    if r < 0.7:
        return "the " + c(PEOPLE)
    return "the " + c(ADJ) + " " + c(PEOPLE)


def np():
    r = R.random()
    if r < 0.5:
        return "the " + c(THINGS)
    if r < 0.8:
        return "a " + c(ADJ) + " " + c(THINGS)
    return "the " + c(ANIMALS)


def sentence():
    r = R.random()
    if r < 0.22:
        s = f"{person()} {c(VT)[0]} {np()} to the {c(PLACES)}"
    elif r < 0.38:
        s = f"{c(TIMES)} {person()} {c(VI)} by the {c(PLACES)}"
    elif r < 0.5:
        s = f"{person()} was {c(FEEL)} because {person()} {c(VT)[0]} {np()}"
    elif r < 0.6:
        s = c(WEATHER)
        if R.random() < 0.5:
            s += f" and {person()} stayed in the {c(PLACES)}"
    elif r < 0.72:
        w = c(VT)
        s = f"\" {c(['i', 'we', 'you', 'they'])} {w[0]} {np()} , \" {c(SAY)} {person()}"
    elif r < 0.82:
        s = f"the {c(ANIMALS)} {c(VI)} in the {c(PLACES)} {c(TIMES)}"
    elif r < 0.9:
        s = f"{person()} {c(VT)[1]} {np()} {c(TIMES)}"
    else:
        s = f"nobody in the village knew why {person()} {c(VI)} {c(TIMES)}"
    return s + " " + c([".", ".", ".", "!"])


n = int(sys.argv[1]) if len(sys.argv) > 1 else 6000
sys.stdout.write("".join(sentence().replace("  ", " ") + "\n" for _ in range(n)))
