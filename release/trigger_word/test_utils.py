"""Compare a Keras model's layers with the expected list, layer by layer (works with Keras 3)."""


def _initializer_name(layer):
    init = getattr(layer, "kernel_initializer", None)
    return type(init).__name__ if init is not None else None


def summary(model):
    """Describe each layer of ``model`` as a list: [type, output shape, parameter count, details...].

    Details: Conv1D -> padding, activation, strides, kernel size, kernel initializer;
    Dropout -> rate; GRU/LSTM -> return_sequences; TimeDistributed -> the inner activation.
    """
    result = []
    for layer in model.layers:
        shape = tuple(layer.output.shape)
        row = [type(layer).__name__, shape, layer.count_params()]
        kind = row[0]
        if kind == "Conv1D":
            row += [layer.padding, layer.activation.__name__, tuple(layer.strides),
                    tuple(layer.kernel_size), _initializer_name(layer)]
        elif kind == "Dropout":
            row.append(layer.rate)
        elif kind in ("GRU", "LSTM", "SimpleRNN"):
            row.append(layer.return_sequences)
        elif kind == "TimeDistributed":
            row.append(layer.layer.activation.__name__)
        elif kind == "Activation":
            row.append(layer.activation.__name__)
        result.append(row)
    return result


def comparator(learner, instructor):
    """Raise AssertionError naming the first layer where ``learner`` differs from ``instructor``."""
    if len(learner) != len(instructor):
        raise AssertionError(
            f"The model has {len(learner)} layers but {len(instructor)} are expected. "
            f"Yours: {[row[0] for row in learner]}")
    for i, (got, want) in enumerate(zip(learner, instructor)):
        if list(got) != list(want):
            raise AssertionError(f"Layer {i} ({got[0]}) differs from what is expected.\n"
                                 f"  yours:    {got}\n  expected: {want}")
    print("\033[92mAll layers match.\033[0m")
