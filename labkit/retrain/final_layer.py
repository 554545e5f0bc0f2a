"""The new softmax layer on top of the base graph, with the original's tensor names and summaries."""

from __future__ import annotations

from dataclasses import dataclass

from labkit.tfsetup import tf


@dataclass
class FinalLayer:
    """Handles into the training graph."""

    bottleneck_input: object  # input/BottleneckInputPlaceholder
    ground_truth: object  # input/GroundTruthInput
    final_tensor: object  # softmax named --final_tensor_name
    cross_entropy: object
    train_step: object
    accuracy: object
    prediction: object
    merged: object


def _variable_summaries(var) -> None:
    T = tf()
    with T.name_scope("summaries"):
        mean = T.reduce_mean(var)
        T.compat.v1.summary.scalar("mean", mean)
        with T.name_scope("stddev"):
            stddev = T.sqrt(T.reduce_mean(T.square(var - mean)))
        T.compat.v1.summary.scalar("stddev", stddev)
        T.compat.v1.summary.scalar("max", T.reduce_max(var))
        T.compat.v1.summary.scalar("min", T.reduce_min(var))
        T.compat.v1.summary.histogram("histogram", var)


def add_final_layer(
    class_count: int, final_tensor_name: str, bottleneck_tensor, bottleneck_size: int, learning_rate: float
) -> FinalLayer:
    """Add placeholders, weights, softmax, cross-entropy, gradient descent and accuracy to the graph."""
    T = tf()
    v1 = T.compat.v1
    with T.name_scope("input"):
        bottleneck_input = v1.placeholder_with_default(
            bottleneck_tensor, shape=[None, bottleneck_size], name="BottleneckInputPlaceholder"
        )
        ground_truth = v1.placeholder(T.float32, [None, class_count], name="GroundTruthInput")
    with T.name_scope("final_training_ops"):
        with T.name_scope("weights"):
            weights = v1.Variable(
                v1.truncated_normal([bottleneck_size, class_count], stddev=0.001), name="final_weights"
            )
            _variable_summaries(weights)
        with T.name_scope("biases"):
            biases = v1.Variable(T.zeros([class_count]), name="final_biases")
            _variable_summaries(biases)
        with T.name_scope("Wx_plus_b"):
            logits = T.matmul(bottleneck_input, weights) + biases
            v1.summary.histogram("pre_activations", logits)
    final_tensor = T.nn.softmax(logits, name=final_tensor_name)
    v1.summary.histogram("activations", final_tensor)
    with T.name_scope("cross_entropy"):
        per_example = T.nn.softmax_cross_entropy_with_logits(labels=ground_truth, logits=logits)
        with T.name_scope("total"):
            cross_entropy = T.reduce_mean(per_example)
    v1.summary.scalar("cross_entropy", cross_entropy)
    with T.name_scope("train"):
        train_step = v1.train.GradientDescentOptimizer(learning_rate).minimize(cross_entropy)
    with T.name_scope("accuracy"):
        with T.name_scope("correct_prediction"):
            prediction = T.argmax(final_tensor, 1)
            correct = T.equal(prediction, T.argmax(ground_truth, 1))
        with T.name_scope("accuracy"):
            accuracy = T.reduce_mean(T.cast(correct, T.float32))
    v1.summary.scalar("accuracy", accuracy)
    return FinalLayer(
        bottleneck_input,
        ground_truth,
        final_tensor,
        cross_entropy,
        train_step,
        accuracy,
        prediction,
        v1.summary.merge_all(),
    )
