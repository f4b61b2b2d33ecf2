"""Writes PyTorch models' state dicts, inputs and outputs as safetensors files for Descent's interop tests.

Run with Debian's python3-torch:  /usr/bin/python3 reference/pytorch-models/make.py
The safetensors layout is written here by hand (an 8-byte little-endian header length, the JSON header padded with
spaces to a multiple of 8, then each tensor's little-endian bytes), as safetensors.torch.save_file lays it out, so the
script needs torch alone.
"""
import json
import os
import struct

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPES = {torch.float32: ("F32", 4), torch.float64: ("F64", 8), torch.int64: ("I64", 8)}


def save_file(tensors, path, metadata):
    # save_file orders data by alignment (larger first), then by name.
    order = sorted(tensors, key=lambda k: (-DTYPES[tensors[k].dtype][1], k))
    header, blobs, offset = {}, [], 0
    for name in order:
        t = tensors[name].detach().contiguous()
        data = t.numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype][0], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


class SimpleModel(nn.Module):
    """The tutorial's model."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(10, 1)

    def forward(self, x):
        return self.linear(x)


def small_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(4 * 4 * 4, 8), nn.LayerNorm([8]), nn.GELU(), nn.Linear(8, 3))


def write(name, model, x):
    model.eval()
    with torch.no_grad():
        y = model(x)
    meta = {"format": "pt", "torch": torch.__version__}
    save_file(model.state_dict(), os.path.join(HERE, f"{name}.safetensors"), meta)
    save_file({"input": x, "output": y}, os.path.join(HERE, f"{name}.io.safetensors"), meta)


def main():
    torch.manual_seed(0)
    write("simple_model", SimpleModel(), torch.randn(64, 10))

    cnn = small_cnn()
    cnn.train()
    with torch.no_grad():  # a few batches so that the running statistics and num_batches_tracked are not the defaults
        for _ in range(3):
            cnn(torch.randn(16, 1, 8, 8) * 2 + 0.5)
    write("small_cnn", cnn, torch.randn(5, 1, 8, 8))


if __name__ == "__main__":
    main()
