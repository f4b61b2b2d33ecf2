"""Loads a state dict that Descent saved as safetensors into the PyTorch model of the same name, strictly, and writes
the model's output on the given input.

    /usr/bin/python3 load_in_pytorch.py MODEL STATE.safetensors IO.safetensors OUT.safetensors

MODEL is simple_model or small_cnn (defined in make.py); IO holds "input"; OUT receives "output".
"""
import json
import struct
import sys

import torch

from make import SimpleModel, save_file, small_cnn

DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}


def load_file(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    body = data[8 + n:]
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        flat = torch.frombuffer(bytearray(body[begin:end]), dtype=DTYPES[entry["dtype"]])
        tensors[name] = flat.reshape(entry["shape"])
    return tensors


def main(model_name, state_path, io_path, out_path):
    model = {"simple_model": SimpleModel, "small_cnn": small_cnn}[model_name]()
    model.load_state_dict(load_file(state_path), strict=True)
    model.eval()
    with torch.no_grad():
        y = model(load_file(io_path)["input"])
    save_file({"output": y}, out_path, {"format": "pt"})


if __name__ == "__main__":
    main(*sys.argv[1:])
