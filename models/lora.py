"""LoRA adapters in plain torch (no peft) and the multi-task training loop.

Every ``nn.Linear`` inside the BERT layers gets ``y = W x + b + (B A dropout(x)) * alpha / r``; only
A, B and the heads train. The loss is sentiment CE + complaint/how-to BCE + ``distill * (1 - cos)``
between the adapted and the frozen model's normalised mean-pooled embeddings (keeps topics/KB
matching working). The adapter is saved as ``<module>.lora_A`` / ``.lora_B`` tensors (safetensors) and
merged into the base weights at load time by ``models.encoder.merge_adapter``.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from models.encoder import mean_pool
from models.heads import LinearHead

if TYPE_CHECKING:
    from models.data import Dataset
    from models.train import TrainPolicy

LORA_TARGETS = ("query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense")


def set_seed(seed: int) -> None:
    """Seed python, numpy and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


class LoraLinear(nn.Module):
    """A frozen linear layer plus a trainable low-rank update."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float, dropout: float) -> None:
        super().__init__()
        self.base = base
        self.base.requires_grad_(False)
        self.lora_A = nn.Parameter(torch.empty(rank, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, rank))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.scale = alpha / rank
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Base output plus the scaled low-rank update."""
        return self.base(x) + (self.dropout(x) @ self.lora_A.T @ self.lora_B.T) * self.scale


def add_lora(model: nn.Module, rank: int, alpha: float, dropout: float, first_layer: int = 0) -> list[str]:
    """Wrap every targeted linear layer of `model` (of its BERT layers from `first_layer` on) in place;
    return the wrapped module names.
    """

    def layer_of(name: str) -> int:
        match = re.search(r"(?:^|\.)layer\.(\d+)\.", name)
        return int(match.group(1)) if match else -1

    names = [
        n
        for n, m in model.named_modules()
        if isinstance(m, nn.Linear) and layer_of(n) >= first_layer and n.endswith(LORA_TARGETS)
    ]
    for name in names:
        parent, _, child = name.rpartition(".")
        owner = model.get_submodule(parent)
        setattr(owner, child, LoraLinear(getattr(owner, child), rank, alpha, dropout))
    return names


def adapter_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """The adapter tensors under the names of the plain (unwrapped) model's modules."""
    return {
        f"{name}.{key}": getattr(module, key).detach().float().cpu().contiguous()
        for name, module in model.named_modules()
        if isinstance(module, LoraLinear)
        for key in ("lora_A", "lora_B")
    }


def save_adapter(path: Path, model: nn.Module, policy: TrainPolicy, base_sha1: str) -> None:
    """Write the adapter (safetensors, with rank/alpha/base hash as metadata)."""
    from safetensors.torch import save_file

    meta = {"rank": str(policy.rank), "alpha": str(policy.alpha), "base_sha1": base_sha1, "format": "lora-1"}
    save_file(adapter_state(model), str(path), metadata=meta)


class MultiTask(nn.Module):
    """Adapted encoder + one linear head per task on the normalised embedding."""

    def __init__(self, encoder: nn.Module, sizes: dict[str, int], head_scale: float) -> None:
        super().__init__()
        self.encoder = encoder
        dim = encoder.config.hidden_size
        self.heads = nn.ModuleDict({t: nn.Linear(dim, k) for t, k in sizes.items()})
        self.head_scale = head_scale

    def embed(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Normalised mean-pooled embedding."""
        hidden = self.encoder(input_ids=ids, attention_mask=mask)[0]
        return nn.functional.normalize(mean_pool(hidden, mask).float(), dim=-1)

    def export_heads(self, names: dict[str, tuple[str, ...]]) -> dict[str, LinearHead]:
        """The heads as numpy LinearHeads acting on the normalised embedding."""
        out = {}
        for task, layer in self.heads.items():
            w = layer.weight.detach().float().cpu().numpy() * self.head_scale
            b = layer.bias.detach().float().cpu().numpy()
            out[task] = LinearHead(task, w, b, "softmax" if w.shape[0] > 1 else "sigmoid", names[task])
        return out


def _cycle(n: int, size: int, gen: torch.Generator) -> Iterator[list[int]]:
    while True:
        perm = torch.randperm(n, generator=gen).tolist()
        for i in range(0, n - size + 1, size):
            yield perm[i : i + size]


def _loss(task: str, logits: torch.Tensor, y: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
    if logits.shape[1] == 1:
        return nn.functional.binary_cross_entropy_with_logits(logits[:, 0], y.float())
    return nn.functional.cross_entropy(logits, y, weight=weight)


def _class_weight(labels: np.ndarray, k: int, device: str) -> torch.Tensor:
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    w = np.sqrt(counts.sum() / np.maximum(counts, 1) / k)
    return torch.tensor(w / w.mean(), dtype=torch.float32, device=device)


def train_adapter(
    sets: dict[str, Dataset],
    policy: TrainPolicy,
    model_path: str,
    device: str,
    adapter_file: Path,
    base_sha1: str,
    log: Any = print,
) -> tuple[dict[str, LinearHead], list[dict[str, Any]]]:
    """Train adapter + heads; keep the best dev checkpoint; write the adapter; return heads and history."""
    from transformers import AutoModel, AutoTokenizer

    set_seed(policy.seed)
    tok = AutoTokenizer.from_pretrained(model_path)
    student = AutoModel.from_pretrained(model_path, dtype=torch.float32).to(device)
    teacher = (
        AutoModel.from_pretrained(model_path, dtype=torch.float32).to(device).eval().requires_grad_(False)
    )
    student.requires_grad_(False)
    add_lora(student, policy.rank, policy.alpha, policy.lora_dropout)
    sizes = {t: (len(d.labels_names) if len(d.labels_names) > 2 else 1) for t, d in sets.items()}
    model = MultiTask(student, sizes, policy.head_scale).to(device)
    state = _TrainState.build(sets, tok, policy, device)
    params = [
        {
            "params": [p for n, p in model.named_parameters() if p.requires_grad and "lora_" in n],
            "lr": policy.lr,
        },
        {"params": list(model.heads.parameters()), "lr": policy.head_lr},
    ]
    opt = torch.optim.AdamW(params, weight_decay=policy.weight_decay)
    warm = max(1, int(policy.warmup * state.steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (state.steps - s) / max(1, state.steps - warm)))
    )
    best, history = (-1.0, None), []
    checkpoints = {int(state.steps * (i + 1) / policy.evals) for i in range(policy.evals)}
    for step in range(1, state.steps + 1):
        model.train()
        loss = state.step_loss(model, teacher, policy)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step(), sched.step(), opt.zero_grad(set_to_none=True)
        if step in checkpoints:
            entry = {"step": step, "loss": round(loss.item(), 4), **state.dev_scores(model, teacher)}
            history.append(entry)
            log(entry)
            if entry["dev_score"] > best[0]:
                best = (entry["dev_score"], {k: v.detach().clone() for k, v in model.state_dict().items()})
    model.load_state_dict(best[1])
    save_adapter(adapter_file, model.encoder, policy, base_sha1)
    return model.export_heads({t: d.labels_names for t, d in sets.items()}), history


class _TrainState:
    """Tokenised training/dev data, samplers and the per-step loss."""

    @classmethod
    def build(cls, sets: dict[str, Dataset], tok: Any, policy: TrainPolicy, device: str) -> _TrainState:
        self = cls()
        self.tok, self.device, self.sets = tok, device, sets
        self.batch = {t: b for t, b in policy.batch if t in sets}
        self.weight = {t: w for t, w in policy.task_weight if t in sets}
        gen = torch.Generator().manual_seed(policy.seed)
        enc = lambda texts: tok(texts, truncation=True, max_length=policy.max_length)["input_ids"]  # noqa: E731
        self.train = {t: (enc(d.part("train")[0]), d.part("train")[1]) for t, d in sets.items()}
        self.dev = {t: (enc(d.part("dev")[0]), d.part("dev")[1]) for t, d in sets.items()}
        self.samplers = {t: _cycle(len(self.train[t][0]), self.batch[t], gen) for t in sets}
        self.class_weight = {
            t: _class_weight(self.train[t][1], len(d.labels_names), device) for t, d in sets.items()
        }
        lead = "sentiment" if "sentiment" in sets else max(sets, key=lambda t: len(self.train[t][0]))
        self.steps = max(1, int(policy.epochs * len(self.train[lead][0]) / self.batch[lead]))
        self.autocast = device.startswith("cuda")
        return self

    def _pad(self, ids: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        padded = self.tok.pad({"input_ids": ids}, return_tensors="pt")
        return padded["input_ids"].to(self.device), padded["attention_mask"].to(self.device)

    def step_loss(self, model: MultiTask, teacher: nn.Module, policy: TrainPolicy) -> torch.Tensor:
        """Multi-task loss of one step: a batch of every task through one encoder forward."""
        picks = {t: next(s) for t, s in self.samplers.items()}
        ids = [self.train[t][0][i] for t, idx in picks.items() for i in idx]
        input_ids, mask = self._pad(ids)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.autocast):
            emb = model.embed(input_ids, mask)
            with torch.no_grad():
                ref = nn.functional.normalize(
                    mean_pool(teacher(input_ids=input_ids, attention_mask=mask)[0], mask).float(), dim=-1
                )
        loss = policy.distill * (1 - (emb * ref).sum(-1)).mean()
        start = 0
        for task, idx in picks.items():
            logits = model.heads[task](emb[start : start + len(idx)] * model.head_scale)
            y = torch.as_tensor(self.train[task][1][idx], device=self.device)
            loss = loss + self.weight[task] * _loss(
                task, logits, y, self.class_weight[task] if task == "sentiment" else None
            )
            start += len(idx)
        return loss

    @torch.no_grad()
    def dev_scores(self, model: MultiTask, teacher: nn.Module) -> dict[str, float]:
        """Dev macro recall (sentiment), macro-F1 (complaint), AP (how-to), cosine to frozen; their mean."""
        from sklearn.metrics import average_precision_score, f1_score, recall_score

        model.eval()
        out: dict[str, float] = {}
        cos = []
        for task, (ids, y) in self.dev.items():
            logits = []
            for i in range(0, len(ids), 128):
                input_ids, mask = self._pad(ids[i : i + 128])
                with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.autocast):
                    emb = model.embed(input_ids, mask)
                    ref = nn.functional.normalize(
                        mean_pool(teacher(input_ids=input_ids, attention_mask=mask)[0], mask).float(), dim=-1
                    )
                cos.append((emb * ref).sum(-1).cpu())
                logits.append(model.heads[task](emb * model.head_scale).float().cpu())
            z = torch.cat(logits).numpy()
            if z.shape[1] > 1:
                out[task] = float(recall_score(y, z.argmax(1), average="macro"))
            elif task == "complaint":
                out[task] = float(f1_score(y, z[:, 0] > 0, average="macro"))
            else:
                out[task] = float(average_precision_score(y, z[:, 0]))
        out["dev_score"] = float(np.mean(list(out.values())))
        out["cos_to_frozen"] = float(torch.cat(cos).mean())
        return {k: round(v, 4) for k, v in out.items()}
