"""Accuracy of occupation coding on three evaluation sets, for four methods.

    .venv/bin/python benchmarks/occupation_coding.py                 # the tables in the README
    .venv/bin/python benchmarks/occupation_coding.py --vectors F.npz # other vocabulary vectors
    .venv/bin/python benchmarks/occupation_coding.py --show-misses   # real titles missed
    .venv/bin/python benchmarks/occupation_coding.py --model DIR     # another re-ranker bundle
    JOBMATCH_EMBEDDING_BACKEND=onnx-int8 .venv/bin/python benchmarks/occupation_coding.py \
        --vectors F.npz --any-backend   # the torch-trained re-ranker on int8 vectors

Evaluation sets (a suggestion is right when it is the expected code, or lies inside an
expected group code):

* **Real-style titles** (``benchmarks/occupation_titles.tsv``): 743 titles the way employers
  type them (``普工``, ``文员``, ``销售代表``, ``储备干部``, ``高级Java开发工程师（长沙）``), each
  with the code(s) checked by hand against the 2022 classification, a group code where only
  a group fits. Never trained or tuned on. Some are literally a name or alias of the
  classification (the coder answers those by look-up, and the re-ranker was trained on that
  alias as a title): the table gives all titles and the others separately.
* **Held-out aliases**: the names and aliases of the occupations and groups of the validation
  split (a fifth of the codes, ``training.occupation_coder.split_of``), each coded with that
  very form hidden from the index, by a re-ranker trained on the other four fifths only.
* **Hand-written titles** (:data:`HAND_WRITTEN`, 66 job-ad titles of jobs that disability
  employment service centres refer people to).
* **Hard titles** (``benchmarks/occupation_titles_hard.tsv``): 64 more, written like the
  outside set's (``技术员``, ``工人``, ``销售``, ``【长白班】包吃住操作工``), many only a group
  fits; never used for training, tuning or choosing anything (the real-style set and the
  held-out aliases chose the re-ranker's fusion blend).

* **Board-style titles** (``benchmarks/occupation_titles_board_dev.tsv`` and ``..._test.tsv``,
  issue 16): titles as job boards show them, with colloquial workplace names (``门岗``,
  ``打荷``, ``衣车工``, ``腻子工``) and board noise (``急招插件工（包吃住）``), none a duplicate
  of the sets above, split in two by a hash of the title. **Dev** is where misses are read
  (``--show-misses``) and changes judged; **test** is only ever reported.

The curated lexicon (``matching/data/occupation_lexicon.tsv``) makes some evaluation titles
look-ups: a title whose normalised form is literally a lexicon entry is answered by that
entry. The last table therefore gives every set again without those titles, and "not a
vocabulary form" counts the classification's own names and aliases only.

Real-style and hard titles together are also reported by slice: **short** (normalised title
of at most 3 characters), **noisy** (normalisation set words aside, or the title holds
digits, Latin letters or punctuation), **generic** (every expected code is a group).

Methods: character n-gram TF-IDF over names, aliases, definitions and tasks; m3e nearest
name/alias plus definition; the fixed fusion of both (the coder before the re-ranker); and
the coder as shipped (normalisation, candidates, LambdaRank re-ranker).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from matching.embedding import Embedder
from matching.job_titles import normalise_title
from matching.occupation_coding import (
    CHAR_WEIGHTS,
    FUSION_WEIGHTS,
    SHIPPED_MODEL,
    CoderModel,
    FusionWeights,
    OccupationCoder,
)
from matching.occupation_vectors import VocabularyVectors
from matching.occupations import LEXICON_FILE, OccupationVocabulary, normalize_text, read_lexicon
from matching.settings import Settings
from training.occupation_coder import (
    perturbed_titles,
    split_of,
    train_coder_model,
    vocabulary_titles,
)

K = 5
TITLES_FILE = Path(__file__).with_name("occupation_titles.tsv")
HARD_FILE = Path(__file__).with_name("occupation_titles_hard.tsv")
BOARD_DEV_FILE = Path(__file__).with_name("occupation_titles_board_dev.tsv")
BOARD_TEST_FILE = Path(__file__).with_name("occupation_titles_board_test.tsv")
#: Embeddings alone: nearest name/alias and the definition.
EMBEDDING_WEIGHTS = FusionWeights(
    char_name=0, char_text=0, embedding_name=0.75, embedding_text=0.25
)
METHODS: tuple[tuple[str, FusionWeights | None], ...] = (
    ("tf-idf char n-grams (names, aliases, definitions, tasks)", CHAR_WEIGHTS),
    ("m3e nearest name/alias + definition", EMBEDDING_WEIGHTS),
    ("fixed fusion (before the re-ranker)", FUSION_WEIGHTS),
    ("jobmatch coder (LambdaRank re-ranker)", None),
)

# (title as an ad writes it, acceptable 2022 codes). Checked against csco22.csv by name,
# definition and aliases; second codes are where the classification has two fitting entries.
HAND_WRITTEN: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("淘宝网店客服（可居家办公）", ("4-04-05-03", "4-01-06-01")),  # 呼叫中心服务员 / 电子商务师
    ("电话客服专员", ("4-04-05-03",)),  # 呼叫中心服务员
    ("在线客服（听障人士优先）", ("4-04-05-03",)),
    ("盲人按摩师", ("2-05-10-00", "4-10-04-02")),  # 盲人医疗按摩人员 / 保健按摩师
    ("持证盲人医疗按摩师", ("2-05-10-00",)),
    ("足疗保健按摩技师", ("4-10-04-02",)),  # 保健按摩师
    ("数据录入员", ("3-01-02-05",)),  # 打字员: 文字录入、排版
    ("文字录入打字员", ("3-01-02-05",)),
    ("数据标注员", ("4-04-05-05",)),  # 人工智能训练师
    ("保洁员（残疾人优先）", ("4-09-08-01",)),
    ("保洁阿姨", ("4-09-08-01",)),
    ("写字楼清洁工", ("4-09-08-01",)),
    ("图书管理员", ("4-13-01-07", "2-10-06-01")),  # 图书馆服务员 / 文献信息专业人员
    ("仓库管理员（五险一金）", ("4-02-06-01",)),  # 仓储管理员
    ("仓管员", ("4-02-06-01",)),
    ("出纳会计", ("2-06-03-00",)),  # 会计专业人员
    ("会计助理", ("2-06-03-00",)),
    ("平面设计专员", ("4-08-08-06",)),  # 装潢美术设计师
    ("软件测试工程师", ("4-04-05-02",)),  # 计算机软件测试员
    ("Java开发工程师", ("2-02-10-03",)),  # 计算机软件工程技术人员
    ("手工编织工（计件）", ("6-05-01-06",)),  # 绒线编织拼布工
    ("毛衣手工编织", ("6-05-01-06",)),
    ("竹编工艺师", ("5-05-06-05",)),  # 竹藤师
    ("电子装配工", ("6-25-04-07", "6-25-04-06")),  # 电子设备装接工 / 电子设备机械装校工
    ("电子厂插件焊接工", ("6-25-04-07",)),
    ("超市收银员", ("4-01-02-04",)),
    ("小区保安", ("4-07-05-01",)),  # 保安员
    ("门卫", ("4-07-05-01",)),
    ("快递分拣员", ("4-02-07-09", "4-02-07-02")),  # 快件处理员 / 邮件分拣员
    ("快递派送员", ("4-02-07-08",)),  # 快递员
    ("外卖骑手", ("4-10-08-01",)),  # 网约配送员
    ("手语翻译员", ("4-13-01-08",)),
    ("行政文员", ("3-01-02-02", "3-01-01-01")),  # 秘书 / 行政办事员
    ("酒店前台接待", ("4-03-01-01",)),  # 前厅服务员
    ("酒店客房服务员", ("4-03-01-02",)),
    ("饭店服务员", ("4-03-02-05",)),  # 餐厅服务员
    ("后厨洗碗工", ("4-03-02-05",)),
    ("面点师傅", ("4-03-02-02",)),  # 中式面点师
    ("食堂厨师", ("4-03-02-01",)),  # 中式烹调师
    ("食品包装工", ("6-31-05-00",)),
    ("产品质检员", ("6-31-03-05",)),
    ("服装厂缝纫工", ("6-05-01-03",)),
    ("住家保姆", ("4-10-01-06",)),  # 家政服务员
    ("养老院护理员", ("4-10-01-05",)),
    ("医院陪护护工", ("4-14-01-02",)),  # 医疗护理员
    ("理发师", ("4-10-03-02",)),  # 美发师
    ("美甲美睫师", ("4-10-03-03",)),
    ("咖啡店咖啡师", ("4-03-02-08",)),
    ("奶茶制作员", ("4-03-02-10",)),  # 调饮师
    ("绿化养护工", ("4-09-10-01",)),  # 园林绿化工
    ("停车场收费员", ("4-06-01-03",)),  # 停车管理员
    ("汽修学徒", ("4-12-01-01",)),  # 汽车维修工
    ("手机维修技术员", ("4-12-02-01", "4-12-02-03")),  # 计算机维修工 / 网络终端维修员
    ("带货主播", ("4-01-06-02",)),  # 互联网营销师
    ("短视频剪辑师", ("2-09-03-06",)),  # 剪辑师
    ("档案整理员", ("2-10-07-00", "4-13-01-06")),  # 档案专业人员 / 档案数字化管理师
    ("特教老师", ("2-08-04-00",)),  # 特殊教育教师
    ("超市理货员", ("4-02-06-02",)),
    ("商场导购员", ("4-01-02-03",)),  # 商品营业员
    ("叉车工（持证上岗）", ("6-30-05-01",)),  # 起重装卸机械操作工
    ("物业维修电工", ("6-31-01-03",)),  # 电工
    ("社区网格员", ("3-01-04-02",)),  # 城市管理网格员
    ("人事专员", ("4-07-03-04",)),  # 企业人力资源管理师
    ("面包烘焙师", ("6-02-01-01",)),  # 糕点面包烘焙师
    ("刺绣工", ("6-09-03-11",)),  # 抽纱刺绣工
    ("陶艺师", ("4-08-10-01", "6-09-03-03")),  # 陶瓷工艺师 / 陶瓷工艺品制作师
)

Labelled = list[tuple[str, tuple[str, ...]]]


def read_titles(path: Path = TITLES_FILE) -> Labelled:
    """``(title, codes)`` of the real-style title file (``#`` lines are comments)."""
    labelled: Labelled = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        title, codes, *_note = line.split("\t")
        labelled.append((title, tuple(codes.split(","))))
    return labelled


class Memo:
    """The embedder with an in-process memory of what it embedded: the four methods code
    the same titles, and each would embed them again."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.model_id = embedder.model_id
        self._seen: dict[str, np.ndarray] = {}

    def encode(
        self, texts: list[str], *, progress: bool = False, batch_size: int = 64
    ) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self._seen]
        if new:
            vectors = self.embedder.encode(new, progress=progress, batch_size=batch_size)
            self._seen.update(zip(new, vectors, strict=True))
        if not texts:
            return np.empty((0, self.embedder.dim), dtype=np.float32)
        return np.stack([self._seen[t] for t in texts])


def slices(labelled: Labelled) -> dict[str, list[int]]:
    """Indexes of the short, noisy and generic titles of ``labelled`` (see the module)."""
    out: dict[str, list[int]] = {"short": [], "noisy": [], "generic": []}
    for index, (title, codes) in enumerate(labelled):
        parts = normalise_title(title)
        if len(parts.core) <= 3:
            out["short"].append(index)
        if parts.stripped or any(not ("\u4e00" <= ch <= "\u9fff") for ch in title):
            out["noisy"].append(index)
        if all(code.endswith("-00") for code in codes):
            out["generic"].append(index)
    return out


def is_hit(code: str, expected: Sequence[str]) -> bool:
    """``code`` is an expected code or lies inside an expected group."""
    for wanted in expected:
        if code == wanted:
            return True
        prefix = wanted
        while prefix.endswith("-00"):
            prefix = prefix[:-3]
        if prefix != wanted and code.startswith(prefix + "-"):
            return True
    return False


def accuracy(ranked: Sequence[Sequence[str]], labelled: Labelled) -> tuple[float, float]:
    """acc@1 and acc@5 of ranked code lists against ``labelled``."""
    pairs = list(zip(ranked, (codes for _, codes in labelled), strict=True))
    top1 = sum(bool(r) and is_hit(r[0], codes) for r, codes in pairs)
    top5 = sum(any(is_hit(c, codes) for c in r[:K]) for r, codes in pairs)
    return top1 / len(labelled), top5 / len(labelled)


def forms_of(vocabulary: OccupationVocabulary) -> set[str]:
    """Every name and alias of the classification, normalised."""
    forms = {normalize_text(f) for occ in vocabulary for f in (occ.name, *occ.aliases)}
    for code, name in vocabulary.groups():
        forms.update(normalize_text(f) for f in (name, *vocabulary.group_aliases(code)))
    return forms


def suggest_codes(coder: OccupationCoder, titles: Sequence[str]) -> list[list[str]]:
    return [[s.code for s in found] for found in coder.suggest_many(list(titles), k=K)]


def held_out(coder: OccupationCoder, model: CoderModel | None) -> dict[str, tuple[float, float]]:
    """Accuracy of each method on the validation split's forms, each hidden from the index."""
    titles = [t for t in vocabulary_titles(coder) if split_of(t.code) == "validation"]
    labelled = [(t.title, (t.code,)) for t in titles]
    cores = [normalise_title(t.title).core for t in titles]
    masks = [t.masked for t in titles]
    results: dict[str, tuple[float, float]] = {}
    for label, weights in METHODS:
        if weights is None:
            if model is None:
                continue
            ranked = []
            for start in range(0, len(titles), 256):
                rows = coder.candidates(
                    cores[start : start + 256], masked_forms=masks[start : start + 256]
                )
                scores = model.score(rows.features)
                bounds = np.searchsorted(rows.query, np.arange(len(cores[start : start + 256]) + 1))
                for i in range(len(bounds) - 1):
                    lo, hi = bounds[i], bounds[i + 1]
                    order = coder.order_candidates(rows.entity[lo:hi], scores[lo:hi])
                    ranked.append([coder.entity_codes[e] for e, _ in order[:K]])
        else:
            scores = coder.with_weights(weights).scores(cores, masked_forms=masks)
            top = np.argsort(-scores, axis=1, kind="stable")[:, :K]
            ranked = [[coder.codes[j] for j in row] for row in top]
        results[label] = accuracy(ranked, labelled)
    results["_count"] = (len(labelled), 0.0)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=Path, help="vocabulary vector file to use instead")
    parser.add_argument("--show-misses", action="store_true", help="print real titles missed")
    parser.add_argument(
        "--skip-held-out", action="store_true", help="skip training the split re-ranker"
    )
    parser.add_argument("--model", type=Path, help="re-ranker bundle to use instead")
    parser.add_argument(
        "--any-backend",
        action="store_true",
        help="use the bundle even if trained under another embedding backend (to measure it)",
    )
    args = parser.parse_args()

    vocabulary = OccupationVocabulary.load()
    settings = Settings()
    embedder = Memo(Embedder.from_settings(settings))
    vectors = VocabularyVectors.load(args.vectors) if args.vectors else "shipped"
    started = time.perf_counter()
    bundle = CoderModel.load(args.model or SHIPPED_MODEL)
    if bundle is not None and args.any_backend:
        bundle.measured_with = [*bundle.measured_with, embedder.model_id]
    coder = OccupationCoder(vocabulary, embedder, model=bundle, vectors=vectors)
    print(f"coder built in {time.perf_counter() - started:.1f} s ({coder.ranker_name})")
    methods = METHODS
    if coder.model is None:
        # Another embedding model or backend (JOBMATCH_EMBEDDING_BACKEND): the methods before
        # the re-ranker still compare; the coder as shipped needs `jobmatch occupations train`.
        print(f"no shipped re-ranker for {embedder.model_id}: its rows are left out")
        methods = tuple((label, w) for label, w in METHODS if w is not None)
        args.skip_held_out = True

    real = read_titles()
    known = forms_of(OccupationVocabulary.load(lexicon=None))
    is_form = [normalise_title(t).core in known or normalize_text(t) in known for t, _ in real]
    lexicon = {normalize_text(form) for form, _, _ in read_lexicon(LEXICON_FILE)}
    unseen = [pair for pair, form in zip(real, is_form, strict=False) if not form]
    hand = list(HAND_WRITTEN)
    hard = read_titles(HARD_FILE)
    board = {"board_dev": read_titles(BOARD_DEV_FILE), "board_test": read_titles(BOARD_TEST_FILE)}
    both = real + hard
    # No evaluation title is a perturbed training title (vocabulary forms are, see above).
    perturbed = {t.title for t in perturbed_titles(coder)}
    every = both + hand + board["board_dev"] + board["board_test"]
    overlap = [t for t, _ in every if normalise_title(t).core in perturbed]
    print(f"evaluation titles that are also perturbed training titles: {len(overlap)} {overlap}")
    sliced = slices(both)
    sets = {"real": real, "hand": hand, "hard": hard, **board}

    def is_entry(title: str) -> bool:
        return normalise_title(title).core in lexicon or normalize_text(title) in lexicon

    entries = {name: sum(is_entry(t) for t, _ in labelled) for name, labelled in sets.items()}
    print(f"evaluation titles that are a lexicon entry: {entries}")

    rows: dict[str, dict[str, tuple[float, float]]] = {}
    for label, weights in methods:
        method = coder if weights is None else coder.with_weights(weights)
        started = time.perf_counter()
        real_ranked = suggest_codes(method, [t for t, _ in real])
        seconds = time.perf_counter() - started
        rows[label] = {
            "real": accuracy(real_ranked, real),
            "unseen": accuracy(
                [r for r, form in zip(real_ranked, is_form, strict=True) if not form], unseen
            ),
            "hand": accuracy(suggest_codes(method, [t for t, _ in hand]), hand),
        }
        hard_ranked = suggest_codes(method, [t for t, _ in hard])
        rows[label]["hard"] = accuracy(hard_ranked, hard)
        ranked_of = {"real": real_ranked, "hard": hard_ranked}
        ranked_of["hand"] = suggest_codes(method, [t for t, _ in hand])
        for name, indexes in sliced.items():
            both_ranked = real_ranked + hard_ranked
            rows[label][name] = accuracy(
                [both_ranked[i] for i in indexes], [both[i] for i in indexes]
            )
        board_ranked = {}
        for name, labelled in board.items():
            board_ranked[name] = suggest_codes(method, [t for t, _ in labelled])
            rows[label][name] = accuracy(board_ranked[name], labelled)
            ranked_of[name] = board_ranked[name]
        for name, labelled in sets.items():
            keep = [i for i, (t, _) in enumerate(labelled) if not is_entry(t)]
            rows[label][f"{name}_lookups_aside"] = accuracy(
                [ranked_of[name][i] for i in keep], [labelled[i] for i in keep]
            )
        print(f"  {label}: {len(real)} titles in {seconds:.1f} s")
        if args.show_misses and weights is None:
            # The board test half is never inspected: its misses are not printed.
            shown = [(real_ranked, real), (board_ranked["board_dev"], board["board_dev"])]
            for ranked_titles, labelled in shown:
                for ranked, (title, codes) in zip(ranked_titles, labelled, strict=True):
                    if not ranked or not is_hit(ranked[0], codes):
                        print(f"    miss {title}: expected {','.join(codes)}, got {ranked[:3]}")

    if not args.skip_held_out:
        started = time.perf_counter()
        split_model = train_coder_model(coder.with_model(None), refit=False)
        print(f"split re-ranker trained in {time.perf_counter() - started:.1f} s")
        measured = held_out(coder, split_model)
        held_out_count = int(measured.pop("_count")[0])
        for label, value in measured.items():
            rows[label]["held_out"] = value
    else:
        held_out_count = 0

    print()
    print(
        f"| method | real titles ({len(real)}) acc@1 | acc@5 | not a vocabulary form "
        f"({len(unseen)}) acc@1 | acc@5 | held-out aliases ({held_out_count}) acc@1 | acc@5 "
        f"| hand-written ({len(hand)}) acc@1 | acc@5 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for label, _ in methods:
        cells = []
        for key in ("real", "unseen", "held_out", "hand"):
            value = rows[label].get(key)
            cells.extend([f"{value[0]:.3f}", f"{value[1]:.3f}"] if value else ["–", "–"])
        print(f"| {label} | " + " | ".join(cells) + " |")
    counts = {name: len(indexes) for name, indexes in sliced.items()}
    print(
        f"\n| method | hard ({len(hard)}) acc@1 | acc@5 | short ({counts['short']}) acc@1 | "
        f"acc@5 | noisy ({counts['noisy']}) acc@1 | acc@5 | generic ({counts['generic']}) "
        "acc@1 | acc@5 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for label, _ in METHODS:
        cells = []
        for key in ("hard", "short", "noisy", "generic"):
            value = rows[label][key]
            cells.extend([f"{value[0]:.3f}", f"{value[1]:.3f}"])
        print(f"| {label} | " + " | ".join(cells) + " |")
    dev_count, test_count = len(board["board_dev"]), len(board["board_test"])
    print(
        f"\n| method | board dev ({dev_count}) acc@1 | acc@5 "
        f"| board test ({test_count}) acc@1 | acc@5 |"
    )
    print("|---|---|---|---|---|")
    for label, _ in methods:
        cells = []
        for key in ("board_dev", "board_test"):
            value = rows[label][key]
            cells.extend([f"{value[0]:.3f}", f"{value[1]:.3f}"])
        print(f"| {label} | " + " | ".join(cells) + " |")
    names = {"real": "real", "hand": "hand", "hard": "hard", "board_dev": "board dev"}
    names["board_test"] = "board test"
    header = " | ".join(
        f"{names[name]} ({len(labelled) - entries[name]}) acc@1 | acc@5"
        for name, labelled in sets.items()
    )
    print(f"\nWithout the titles that are a lexicon entry:\n\n| method | {header} |")
    print("|---|" + "---|" * (2 * len(sets)))
    for label, _ in methods:
        cells = []
        for name in sets:
            value = rows[label][f"{name}_lookups_aside"]
            cells.extend([f"{value[0]:.3f}", f"{value[1]:.3f}"])
        print(f"| {label} | " + " | ".join(cells) + " |")
    print(f"\nre-ranker: {args.model or SHIPPED_MODEL}")


if __name__ == "__main__":
    main()
