"""Detections, IoU, matching and the quality numbers used to compare detectors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Detections:
    """Boxes (normalised ymin, xmin, ymax, xmax), scores and class ids for one image."""

    boxes: np.ndarray
    scores: np.ndarray
    classes: np.ndarray

    def confident(self, threshold: float) -> Detections:
        keep = self.scores >= threshold
        return Detections(self.boxes[keep], self.scores[keep], self.classes[keep])

    def __len__(self) -> int:
        return len(self.scores)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of two box arrays (N×4, M×4) → N×M."""
    a, b = np.asarray(a, float).reshape(-1, 4), np.asarray(b, float).reshape(-1, 4)
    top = np.maximum(a[:, None, 0], b[None, :, 0])
    left = np.maximum(a[:, None, 1], b[None, :, 1])
    bottom = np.minimum(a[:, None, 2], b[None, :, 2])
    right = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(bottom - top, 0, None) * np.clip(right - left, 0, None)
    area = lambda r: (r[:, 2] - r[:, 0]) * (r[:, 3] - r[:, 1])  # noqa: E731
    return inter / np.maximum(area(a)[:, None] + area(b)[None, :] - inter, 1e-9)


def match(pred: np.ndarray, truth: np.ndarray, threshold: float = 0.5) -> list[tuple[int, int, float]]:
    """Greedy one-to-one matching by IoU (best pairs first); returns (pred, truth, iou) ≥ threshold."""
    ious = iou_matrix(pred, truth)
    pairs, used_p, used_t = [], set(), set()
    for flat in np.argsort(-ious, axis=None):
        p, t = np.unravel_index(flat, ious.shape)
        if ious[p, t] < threshold:
            break
        if p not in used_p and t not in used_t:
            pairs.append((int(p), int(t), float(ious[p, t])))
            used_p.add(p)
            used_t.add(t)
    return pairs


def quality(
    detections: list[Detections], boxes: list[np.ndarray], labels: list[np.ndarray], iou_threshold: float = 0.5
) -> dict:
    """Precision, recall, class accuracy of matches and mean IoU against known boxes."""
    tp = n_pred = n_true = correct = 0
    ious = []
    for det, truth, lab in zip(detections, boxes, labels, strict=False):
        pairs = match(det.boxes, truth, iou_threshold)
        tp += len(pairs)
        n_pred += len(det)
        n_true += len(truth)
        correct += sum(int(det.classes[p] == lab[t]) for p, t, _ in pairs)
        best = iou_matrix(truth, det.boxes).max(axis=1) if len(det) else np.zeros(len(truth))
        ious += best.tolist()
    return {
        "precision": tp / max(n_pred, 1),
        "recall": tp / max(n_true, 1),
        "class_accuracy": correct / max(tp, 1),
        "mean_best_iou": float(np.mean(ious)) if ious else 0.0,
    }


def agreement(a: list[Detections], b: list[Detections], iou_threshold: float = 0.5) -> float:
    """Share of all detections of either detector that the other one also made (same class)."""
    agreed = total = 0
    for da, db in zip(a, b, strict=False):
        pairs = match(da.boxes, db.boxes, iou_threshold)
        agreed += 2 * sum(int(da.classes[p] == db.classes[q]) for p, q, _ in pairs)
        total += len(da) + len(db)
    return agreed / max(total, 1)
