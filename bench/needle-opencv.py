#!/usr/bin/python3
# os-autoinst's needle search written with OpenCV, for bench/needle.ts: the
# same steps as its ppmclibs/tinycv_impl.cc (grey, a 3x3 Gaussian blur of the
# searched region, matchTemplate with squared differences over the area plus
# its margin, the nearest of the near-best positions, similarity from the
# mean squared error), timed per needle.
#   needle-opencv.py JOBS.json  ->  JSON results on stdout
# JOBS.json: {"frames": [PNG...], "needles": [{"png", "areas": [[x,y,w,h,margin]]}],
#             "pairs": [[frame, needle], ...], "repeat": N}
import json
import sys
import time

import cv2
import numpy as np


def prepared(img, roi):
    # As Image::prep: the whole picture in grey, the region blurred with its neighbours.
    x, y, w, h = roi
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    px0, py0 = max(0, x - 1), max(0, y - 1)
    px1, py1 = min(grey.shape[1], x + w + 1), min(grey.shape[0], y + h + 1)
    blurred = cv2.GaussianBlur(grey[py0:py1, px0:px1], (3, 3), 0)
    grey[y:y + h, x:x + w] = blurred[y - py0:y - py0 + h, x - px0:x - px0 + w]
    return grey


def search(scene, needle, area):
    x, y, w, h, margin = area
    sx = x * scene.shape[1] // needle.shape[1]
    sy = y * scene.shape[0] // needle.shape[0]
    x0, y0 = max(0, sx - margin), max(0, sy - margin)
    x1, y1 = min(scene.shape[1], sx + w + margin), min(scene.shape[0], sy + h + margin)
    s = prepared(scene, (x0, y0, x1 - x0, y1 - y0))
    o = prepared(needle, (x, y, w, h))
    obj = o[y:y + h, x:x + w]
    result = cv2.matchTemplate(s[y0:y1, x0:x1], obj, cv2.TM_SQDIFF)
    cx, cy = sx - x0, sy - y0
    sse = result[cy, cx]
    if sse == 0:
        return 1.0, sx, sy
    # minVec: points within 10 of the running least, then the nearest to the place.
    least = sse + 10
    points = []
    for py, px in zip(*np.nonzero(result <= least)):
        v = result[py, px]
        if v + 10 < least:
            least = v + 10
            points = [(px, py)]
        elif v <= least:
            points.append((px, py))
    px, py = min(points, key=lambda p: (p[0] - cx) ** 2 + (p[1] - cy) ** 2)
    best = s[y0 + py:y0 + py + h, x0 + px:x0 + px + w].astype(np.float64)
    mse = float(np.mean((best - obj.astype(np.float64)) ** 2))
    return min(1.0, max(0.0, 0.9 + (40 - mse) / 380)), int(x0 + px), int(y0 + py)


def main():
    jobs = json.load(open(sys.argv[1]))
    frames = [cv2.imread(f, cv2.IMREAD_COLOR) for f in jobs["frames"]]
    needles = [cv2.imread(n["png"], cv2.IMREAD_COLOR) for n in jobs["needles"]]
    out = []
    for frame, needle in jobs["pairs"]:
        areas = jobs["needles"][needle]["areas"]
        times = []
        for _ in range(jobs["repeat"]):
            t = time.perf_counter()
            found = [search(frames[frame], needles[needle], a) for a in areas]
            times.append((time.perf_counter() - t) * 1000)
        out.append({"ms": times, "areas": [{"similarity": s, "x": x, "y": y} for s, x, y in found]})
    json.dump(out, sys.stdout)


main()
