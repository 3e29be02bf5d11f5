"""``model_f`` in PyTorch, for training on CPU, and the copy of its weights into the Keras model.

Why: on this project's 2-core CPU, one training step of ``model_f`` (batch 32) measured
0.40 s per example on Keras 3 / TensorFlow, over 10 s on Keras 3 / PyTorch (its GRU falls back to a
Python loop off CUDA), and ran out of memory on Keras 3 / JAX with XLA; PyTorch's own fused GRU
took 0.13 s. So the trainer trains this twin and ``to_keras`` copies the weights into the real
Keras ``model_f``, which is what ships and what the workbook loads. ``tests/test_train.py`` checks
that both give the same probabilities.

The twin matches Keras exactly: GRU with reset_after (PyTorch's formulation), gate order converted
from PyTorch's [r, z, n] to Keras's [z, r, h]; BatchNorm epsilon 1e-3 and momentum 0.99 (Keras's).

``in_scale`` (one number per frequency bin, ones unless the recipe's ``input_norm`` sets it) multiplies
the input before the convolution. It changes how training moves the weights, not what the network
can compute: ``keras_weights`` folds it into the convolution's kernel, so the Keras ``model_f`` that
ships reads the same linear-power spectrogram as always and gives the same outputs.
"""
import numpy as np
import torch
from torch import nn

from triggerword import params

KERAS_BN_EPS = 1e-3
KERAS_BN_MOMENTUM = 0.01  # PyTorch's momentum is 1 - Keras's 0.99


class TorchModelF(nn.Module):
    """Conv1D > BN > ReLU > Dropout > GRU > Dropout > BN > GRU > Dropout > BN > Dropout > Dense."""

    def __init__(self, dropout=0.2):
        super().__init__()
        self.conv = nn.Conv1d(params.N_FREQ, 196, params.CONV_KERNEL, stride=params.CONV_STRIDE)
        self.bn1 = nn.BatchNorm1d(196, eps=KERAS_BN_EPS, momentum=KERAS_BN_MOMENTUM)
        self.gru1 = nn.GRU(196, 128, batch_first=True)
        self.bn2 = nn.BatchNorm1d(128, eps=KERAS_BN_EPS, momentum=KERAS_BN_MOMENTUM)
        self.gru2 = nn.GRU(128, 128, batch_first=True)
        self.bn3 = nn.BatchNorm1d(128, eps=KERAS_BN_EPS, momentum=KERAS_BN_MOMENTUM)
        self.dense = nn.Linear(128, 1)
        self.drop = nn.Dropout(dropout)
        self.register_buffer("in_scale", torch.ones(params.N_FREQ))

    def set_in_scale(self, scale, keep_outputs=True):
        """Set ``in_scale``; with ``keep_outputs`` the kernel is divided by the change, so the network
        computes exactly what it did (a trained network), else it is left as it is (a fresh one)."""
        new = torch.as_tensor(np.asarray(scale, dtype=np.float32)).to(self.in_scale.device)
        with torch.no_grad():
            if keep_outputs:
                self.conv.weight.mul_((self.in_scale / new)[None, :, None])
            self.in_scale.copy_(new)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # checkpoints written before in_scale existed hold none: they meant ones
        if prefix + "in_scale" not in state_dict:
            state_dict[prefix + "in_scale"] = torch.ones(params.N_FREQ)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @staticmethod
    def _bn(bn, x):  # x is (batch, steps, channels); BatchNorm1d wants channels second
        return bn(x.transpose(1, 2)).transpose(1, 2)

    def features(self, x):
        """x: (batch, TX, N_FREQ) -> what the output layer reads (batch, TY, 128)."""
        h = self.conv((x * self.in_scale).transpose(1, 2)).transpose(1, 2)
        h = self.drop(torch.relu(self._bn(self.bn1, h)))
        h, _ = self.gru1(h)
        h = self._bn(self.bn2, self.drop(h))
        h, _ = self.gru2(h)
        return self.drop(self._bn(self.bn3, self.drop(h)))

    def logits(self, x):
        """x: (batch, TX, N_FREQ) -> logits (batch, TY, 1)."""
        return self.dense(self.features(x))

    def forward(self, x):
        return torch.sigmoid(self.logits(x))


def _gru_to_keras(gru):
    """PyTorch GRU weights -> Keras [kernel (in, 3u), recurrent (u, 3u), bias (2, 3u)], gates [z, r, h]."""
    def reorder(w):  # rows [r, z, n] -> [z, r, n]
        r, z, n = np.split(w, 3, axis=0)
        return np.concatenate([z, r, n], axis=0)
    w_ih = gru.weight_ih_l0.detach().cpu().numpy()
    w_hh = gru.weight_hh_l0.detach().cpu().numpy()
    b_ih = gru.bias_ih_l0.detach().cpu().numpy()
    b_hh = gru.bias_hh_l0.detach().cpu().numpy()
    return [reorder(w_ih).T, reorder(w_hh).T, np.stack([reorder(b_ih), reorder(b_hh)])]


def _bn_to_keras(bn):
    return [t.detach().cpu().numpy() for t in (bn.weight, bn.bias, bn.running_mean, bn.running_var)]


def keras_weights(net):
    """The list of arrays ``model_f().set_weights`` takes, in Keras's layer order."""
    conv_w = (net.conv.weight * net.in_scale[None, :, None]).detach().cpu().numpy()
    conv_w = conv_w.transpose(2, 1, 0)  # (out, in, k) -> (k, in, out), in_scale folded in
    return ([conv_w, net.conv.bias.detach().cpu().numpy()] + _bn_to_keras(net.bn1)
            + _gru_to_keras(net.gru1) + _bn_to_keras(net.bn2)
            + _gru_to_keras(net.gru2) + _bn_to_keras(net.bn3)
            + [net.dense.weight.detach().cpu().numpy().T, net.dense.bias.detach().cpu().numpy()])


def to_keras(net, dropout=0.8):
    """A Keras ``model_f`` holding ``net``'s weights."""
    from triggerword.model import model_f
    model = model_f(dropout=dropout)
    model.set_weights(keras_weights(net))
    return model


def from_keras(model, dropout=0.2, in_scale=None):
    """A ``TorchModelF`` holding a Keras ``model_f``'s weights (to resume or fine-tune in PyTorch);
    with ``in_scale`` (N_FREQ numbers), the kernel is divided by it, so the outputs stay the same."""
    w = [np.asarray(a) for a in model.get_weights()]
    net = TorchModelF(dropout)

    def gru_from(kernel, recurrent, bias):
        def reorder(m):  # cols [z, r, h] -> rows [r, z, n]
            z, r, n = np.split(m, 3, axis=-1)
            return np.concatenate([r, z, n], axis=-1)
        return [reorder(kernel).T, reorder(recurrent).T, reorder(bias[0]), reorder(bias[1])]

    tensors = ([w[0].transpose(2, 1, 0), w[1]] + w[2:6] + gru_from(*w[6:9]) + w[9:13]
               + gru_from(*w[13:16]) + w[16:20] + [w[20].T, w[21]])
    targets = [net.conv.weight, net.conv.bias,
               net.bn1.weight, net.bn1.bias, net.bn1.running_mean, net.bn1.running_var,
               net.gru1.weight_ih_l0, net.gru1.weight_hh_l0, net.gru1.bias_ih_l0, net.gru1.bias_hh_l0,
               net.bn2.weight, net.bn2.bias, net.bn2.running_mean, net.bn2.running_var,
               net.gru2.weight_ih_l0, net.gru2.weight_hh_l0, net.gru2.bias_ih_l0, net.gru2.bias_hh_l0,
               net.bn3.weight, net.bn3.bias, net.bn3.running_mean, net.bn3.running_var,
               net.dense.weight, net.dense.bias]
    with torch.no_grad():
        for target, value in zip(targets, tensors):
            target.copy_(torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32)))
    if in_scale is not None:
        net.set_in_scale(in_scale)
    return net
