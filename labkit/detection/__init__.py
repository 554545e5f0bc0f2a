"""Homework's optional part: compare a fast single-shot detector with a slow two-stage one.

Real source: TF Hub detectors (SSD MobileNetV2, Faster R-CNN Inception-ResNet-V2) or local
SavedModels. Offline default: labkit-generated scenes with known boxes and two small detectors
that labkit trains itself (:mod:`labkit.detection.single_shot`, :mod:`labkit.detection.two_stage`).
Every detector maps one uint8 image to :class:`~labkit.detection.boxes.Detections`.
"""
