"""Training of the issue adapter with the lower layers frozen and cached (see models.issue_encoder).

The embeddings and the lower ``n_layers - train_layers`` BERT layers never change, so their output is
computed once per text (no grad) and kept; each step runs only the top layers (with LoRA on every
linear layer, as ``models.lora``), mean-pools, and trains one softmax head per dataset plus the
distillation term ``distill * (1 - cos(adapted, frozen))`` against the frozen model's embedding of the
same text (also computed once). The best dev checkpoint (mean of the sets' dev macro recall) is kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from models.encoder import mean_pool
from models.lora import adapter_state, add_lora, set_seed

if TYPE_CHECKING:
    from models.data import Dataset
    from models.issue_encoder import IssuePolicy


def _masks(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """The additive attention mask (batch, 1, 1, seq) that BERT's eager and SDPA attention both take:
    0 where a token is attended, the dtype's minimum on padding. Built here rather than through
    ``BertModel``'s private mask helper, whose signature changes between transformers releases.
    """
    return (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


def _run_layers(model: nn.Module, layers: range, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    attn = _masks(mask, hidden.dtype)
    for i in layers:
        out = model.encoder.layer[i](hidden, attn)
        hidden = out[0] if isinstance(out, tuple) else out
    return hidden


class _Cache:
    """Per text: the lower layers' output (unpadded) and the frozen model's normalised embedding."""

    def __init__(self, model: nn.Module, tok: Any, texts: list[str], split: int, max_length: int) -> None:
        ids = tok(texts, truncation=True, max_length=max_length)["input_ids"]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        self.hidden: list[torch.Tensor] = [torch.empty(0)] * len(ids)
        self.frozen = torch.zeros(len(ids), model.config.hidden_size)
        n_layers = model.config.num_hidden_layers
        with torch.inference_mode():
            for start in range(0, len(order), 256):
                batch = order[start : start + 256]
                padded = tok.pad({"input_ids": [ids[i] for i in batch]}, return_tensors="pt")
                mask = padded["attention_mask"]
                low = _run_layers(model, range(split), model.embeddings(input_ids=padded["input_ids"]), mask)
                top = _run_layers(model, range(split, n_layers), low, mask)
                self.frozen[batch] = nn.functional.normalize(mean_pool(top, mask), dim=-1)
                for row, i in enumerate(batch):
                    self.hidden[i] = low[row, : int(mask[row].sum())].clone()

    def batch(self, idx: list[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Padded lower-layer states, attention mask and frozen embeddings of rows `idx`."""
        seqs = [self.hidden[i] for i in idx]
        hidden = nn.utils.rnn.pad_sequence(seqs, batch_first=True)
        lengths = torch.tensor([len(s) for s in seqs])
        mask = (torch.arange(hidden.shape[1])[None, :] < lengths[:, None]).long()
        return hidden, mask, self.frozen[idx]


def train_issue_adapter(
    sets: dict[str, Dataset], policy: IssuePolicy, model_path: str, adapter_file: Path, base_sha1: str,
    log: Any = print,
) -> list[dict[str, Any]]:  # fmt: skip
    """Train the top layers' LoRA and the per-set heads; write the best dev checkpoint's adapter."""
    from safetensors.torch import save_file
    from sklearn.metrics import recall_score
    from transformers import AutoModel, AutoTokenizer

    set_seed(policy.seed)
    tok = AutoTokenizer.from_pretrained(model_path)
    model = AutoModel.from_pretrained(model_path, dtype=torch.float32).eval()
    model.requires_grad_(False)
    split = model.config.num_hidden_layers - policy.train_layers
    train = {t: _Cache(model, tok, d.part("train")[0], split, policy.max_length) for t, d in sets.items()}
    dev = {t: _Cache(model, tok, d.part("dev")[0], split, policy.max_length) for t, d in sets.items()}
    y_train = {t: torch.as_tensor(d.part("train")[1]) for t, d in sets.items()}
    y_dev = {t: d.part("dev")[1] for t, d in sets.items()}
    add_lora(model, policy.rank, policy.alpha, policy.lora_dropout, first_layer=split)
    dim = model.config.hidden_size
    heads = nn.ModuleDict({t: nn.Linear(dim, len(d.labels_names)) for t, d in sets.items()})
    lora_params = [p for n, p in model.named_parameters() if "lora_" in n]
    for p in lora_params:
        p.requires_grad_(True)
    opt = torch.optim.AdamW(
        [
            {"params": lora_params, "lr": policy.lr},
            {"params": list(heads.parameters()), "lr": policy.head_lr},
        ],
        weight_decay=policy.weight_decay,
    )
    size = dict(policy.batch)
    weight = dict(policy.task_weight)
    lead = max(sets, key=lambda t: len(train[t].hidden))
    steps = max(1, int(policy.epochs * len(train[lead].hidden) / size[lead]))
    warm = max(1, int(policy.warmup * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
    )
    gen = torch.Generator().manual_seed(policy.seed)
    orders = {t: iter(()) for t in sets}

    def pick(task: str) -> list[int]:
        out = next(orders[task], None)
        if out is None:
            perm = torch.randperm(len(train[task].hidden), generator=gen).tolist()
            b = size[task]
            orders[task] = iter([perm[i : i + b] for i in range(0, len(perm) - b + 1, b)])
            out = next(orders[task])
        return out

    def embed(cache: _Cache, idx: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        hidden, mask, ref = cache.batch(idx)
        top = _run_layers(model, range(split, model.config.num_hidden_layers), hidden, mask)
        return nn.functional.normalize(mean_pool(top, mask), dim=-1), ref

    checkpoints = {int(steps * (i + 1) / policy.evals) for i in range(policy.evals)}
    best: tuple[float, dict[str, torch.Tensor] | None] = (-1.0, None)
    history = []
    for step in range(1, steps + 1):
        model.train()
        loss = torch.zeros(())
        for task in sets:
            idx = pick(task)
            emb, ref = embed(train[task], idx)
            logits = heads[task](emb * policy.head_scale)
            loss = loss + weight[task] * nn.functional.cross_entropy(logits, y_train[task][idx])
            loss = loss + policy.distill * weight[task] * (1 - (emb * ref).sum(-1)).mean()
        loss.backward()
        nn.utils.clip_grad_norm_(lora_params + list(heads.parameters()), 1.0)
        opt.step(), sched.step(), opt.zero_grad(set_to_none=True)
        if step in checkpoints:
            model.eval()
            entry: dict[str, Any] = {"step": step, "loss": round(float(loss), 4)}
            cos = []
            with torch.inference_mode():
                for task, cache in dev.items():
                    preds = []
                    for start in range(0, len(cache.hidden), 256):
                        idx = list(range(start, min(start + 256, len(cache.hidden))))
                        emb, ref = embed(cache, idx)
                        cos.append((emb * ref).sum(-1))
                        preds.append(heads[task](emb).argmax(1))
                    entry[task] = round(
                        float(recall_score(y_dev[task], torch.cat(preds).numpy(), average="macro")), 4
                    )
            entry["dev_score"] = round(float(np.mean([entry[t] for t in sets])), 4)
            entry["cos_to_frozen"] = round(float(torch.cat(cos).mean()), 4)
            history.append(entry)
            log(entry)
            if entry["dev_score"] > best[0]:
                best = (entry["dev_score"], {k: v.detach().clone() for k, v in adapter_state(model).items()})
    meta = {"rank": str(policy.rank), "alpha": str(policy.alpha), "base_sha1": base_sha1, "format": "lora-1"}
    assert best[1] is not None
    save_file(best[1], str(adapter_file), metadata=meta)
    return history
