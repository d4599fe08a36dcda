"""Writes fixtures/esn/digits.json: scikit-learn's load_digits (UCI optical digits, BSD
licensed via scikit-learn; 8x8 images, values 0..16) with the split of
../shared/anchors/elm.md: train_test_split(test_size=0.25, stratify=y, random_state=42).
Each image is 64 characters, chr(ord('a') + value), so the file stays small.
Needs python3-sklearn (Debian). Run: python3 scripts/make_digits_fixture.py"""
import json
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

X, y = load_digits(return_X_y=True)
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, stratify=y, random_state=42)
enc = lambda A: ["".join(chr(97 + int(v)) for v in row) for row in A]
json.dump({
    "source": ("sklearn.datasets.load_digits (UCI ML hand-written digits, BSD-3 via scikit-learn); "
               "split as anchors/elm.md"),
    "encoding": "one string per image, 64 chars, value = charCode - 97 (0..16)",
    "train": {"X": enc(Xtr), "y": "".join(str(int(v)) for v in ytr)},
    "test": {"X": enc(Xte), "y": "".join(str(int(v)) for v in yte)},
}, open("fixtures/esn/digits.json", "w"))
print(len(Xtr), len(Xte))
