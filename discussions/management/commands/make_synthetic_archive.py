"""Build a deterministic synthetic archive for the benchmark (`make bench`, bench/run.py).

Same seed, same archive: every choice comes from one random.Random(seed) and every date from a
fixed start, so two runs on two machines measure the same pages. Rows go in with bulk_create,
because model save() (a slug query, Markdown rendering and a history row per post) would take the
better part of an hour at 100,000 answers. So this command does itself what save() would do:
slugs, labels, positions, import keys, topic names, and body_html — every body written for its
post, as members write them, and rendered in one process per CPU.

Not written: history rows (django-simple-history) and the archive's cache generation; no page the
benchmark measures reads history, and the benchmark serves a fresh database.
"""

import os
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from discussions import reader
from discussions.models import (
    Answer,
    Paper,
    Participant,
    Question,
    Reference,
    TaggedQuestion,
    Topic,
    normalise_url,
)
from discussions.rendering import render_all
from discussions.topics import load_rules

# The member bench/run.py logs in as to fill open answers. A benchmark database only: never
# run this command against a database real people use.
BENCH_USERNAME = "bench"
BENCH_PASSWORD = "bench-password-not-secret"
BENCH_PARTICIPANT = "벤치"


@dataclass(frozen=True)
class Size:
    papers: int
    questions: int
    answers: int  # 10% of them open (empty body)
    participants: int  # besides the bench member
    topics: int
    big_paper_questions: int  # one paper this big: the benchmark's "200-question paper"
    bench_open: int  # open answers the bench member owns: one per POST the benchmark sends


SIZES = {
    "full": Size(1000, 20_000, 100_000, 300, 50, 200, 5000),
    # About 1/20 of full, but the big paper stays at 200 questions: its page is what it measures. The
    # bench member owns most open answers, so the short POST run has one to fill for every request.
    "small": Size(50, 1000, 5000, 15, 50, 200, 450),
    # For tests: seconds on SQLite.
    "tiny": Size(4, 40, 200, 8, 10, 20, 5),
}

START = date(2018, 1, 6)  # the first session; papers follow every two to three days

# --- Text -------------------------------------------------------------------------------------------

TERMS = [
    "few-shot learning", "in-context learning", "fine-tuning", "self-attention", "Transformer",
    "BERT", "GPT-2", "tokenizer", "BPE", "layer normalization", "dropout", "learning rate warmup",
    "knowledge distillation", "quantization", "pruning", "contrastive learning", "RLHF",
    "reward model", "beam search", "perplexity", "scaling law", "mixture of experts", "LoRA",
    "prompt tuning", "data augmentation", "positional encoding", "cross-entropy loss",
    "gradient clipping", "batch size", "KV cache", "sparse attention", "retrieval augmentation",
    "chain-of-thought", "zero-shot", "embedding", "softmax", "AdamW", "weight decay",
    "curriculum learning", "instruction tuning",
]  # fmt: skip

# Korean sentences as members write them, with an English term slotted in.
SENTENCES = [
    "{t}를 적용하면 성능이 얼마나 달라지는지 궁금합니다.",
    "논문에서는 {t}에 대해 짧게만 언급하고 넘어가는데, 실제로는 더 중요한 부분 같아요.",
    "제 경험으로는 {t}이 데이터가 적을 때 특히 효과가 컸습니다.",
    "{t}과 {u}를 같이 쓰면 학습 비용이 너무 커지지 않을까요?",
    "저자들이 {t} 실험을 왜 이렇게 설계했는지 잘 모르겠습니다.",
    "Table 3의 결과를 보면 {t}의 효과가 생각보다 작습니다.",
    "혹시 {t} 관련해서 참고할 만한 자료가 있을까요?",
    "실서비스에 적용하려면 {t} 말고도 latency를 같이 봐야 할 것 같아요.",
    "저도 비슷하게 생각했는데, {t}은 결국 데이터의 질에 많이 좌우되는 것 같습니다.",
    "Figure 2를 보면 모델이 커질수록 {t}의 이득이 줄어드는 경향이 보입니다.",
    "제가 이해한 바로는 {t}은 {u}의 한 종류라고 볼 수 있을 것 같아요.",
    "여기서 말하는 {t}이 정확히 어떤 설정인지 Appendix를 봐도 헷갈립니다.",
    "작은 모델에서 {t}을 재현해 봤는데 비슷한 경향이 나왔습니다.",
    "한국어 데이터에서는 {t}이 영어만큼 잘 동작하지 않는다는 이야기도 있어요.",
    "baseline과 비교할 때 {t}의 hyperparameter를 충분히 튜닝했는지 의문입니다.",
    "결국 {t}은 trade-off의 문제라서 상황에 따라 선택해야 할 것 같습니다.",
    "{t} 부분은 다음 세션에서 좀 더 자세히 이야기해 보면 좋겠습니다.",
    "비용을 줄이려면 {t}과 함께 {u}도 고려해 볼 만합니다.",
    "이 부분은 bias 문제와도 연결되어 있어서 조심스럽게 봐야 할 것 같아요.",
    "I think {t} matters more than the paper suggests.",
    "The ablation without {t} would have been more convincing.",
]
# Sentences that say 효율 in one of its forms, kept rare (with the GPT-3 session's own, about one
# body in ten has it), so the benchmark's search for 효율 finds a realistic share of the archive.
EFFICIENCY_SENTENCES = [
    "효율 측면에서 보면 {t}은 아직 개선할 여지가 많다고 생각합니다.",
    "{t}을 쓰면 메모리를 효율적으로 쓸 수 있다는 점이 가장 큰 장점 같습니다.",
    "연산량 대비 효율성을 생각하면 {t}보다 {u}가 더 현실적인 선택 같습니다.",
]

LINKS = [
    "https://arxiv.org/abs/1706.03762",
    "https://arxiv.org/abs/1810.04805",
    "https://github.com/huggingface/transformers",
    "https://jalammar.github.io/illustrated-transformer/",
    "https://www.youtube.com/watch?v=iDulhoQ2pro",
    "https://paperswithcode.com/method/lora",
]

TITLE_WORDS = (
    ["Efficient", "Scalable", "Robust", "Sparse", "Unified", "Simple", "Deep", "Multilingual",
     "Contrastive", "Self-Supervised", "Adaptive", "Large-Scale", "Lightweight", "Hierarchical"],
    ["Transformers", "Language Models", "Attention", "Representations", "Retrieval", "Decoders",
     "Encoders", "Tokenizers", "Mixtures of Experts", "Prompts", "Embeddings", "Agents"],
    ["Long Documents", "Few-Shot Learning", "Machine Translation", "Question Answering",
     "Summarization", "Korean NLP", "Code Generation", "Dialogue", "Reasoning", "Speech",
     "Vision-Language Tasks", "Low-Resource Languages"],
)  # fmt: skip

SYLLABLES = (
    ["민", "서", "지", "하", "준", "도", "예", "수", "윤", "현", "채", "은", "시", "다", "유", "태", "승",
     "건", "우", "소"],
    ["준", "연", "우", "윤", "호", "진", "아", "원", "민", "희", "빈", "율", "혁", "린", "성", "훈", "영",
     "솔", "결", "온"],
)  # fmt: skip
FAMILY_NAMES = ["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임"]

# Topics beyond the keyword rules' own (fixtures/topics.toml), to make up the size's count.
MORE_TOPICS = [
    "attention", "tokenization", "optimization", "regularization", "evaluation", "benchmarks",
    "data-quality", "multilinguality", "korean-nlp", "retrieval", "rlhf", "alignment",
    "interpretability", "robustness", "adversarial", "compression", "distillation", "quantization",
    "pretraining", "fine-tuning", "prompting", "instruction-tuning", "summarization", "translation",
    "question-answering", "dialogue", "vision-language", "speech", "reinforcement-learning",
    "graph-neural-networks", "generative-models", "diffusion", "contrastive-learning",
    "self-supervision", "transfer-learning", "meta-learning", "continual-learning", "privacy",
    "safety", "hardware", "datasets", "long-context", "memory", "agents", "code-generation",
]  # fmt: skip


class Command(BaseCommand):
    help = "Build a deterministic synthetic archive (benchmark database only) into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="full")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, size, seed, **options):
        if Paper.objects.exists():
            raise CommandError("the archive is not empty: build the synthetic archive into an empty database")
        started = time.monotonic()
        counts = build(SIZES[size], seed)
        counts_text = ", ".join(f"{n:,} {name}" for name, n in counts.items())
        self.stdout.write(
            f"synthetic archive ({size}, seed {seed}): {counts_text} in {time.monotonic() - started:.1f} s"
        )


# --- Building -------------------------------------------------------------------------------------------


def build(size: Size, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    texts = Texts(rng, size)
    with transaction.atomic(), timestamps_as_given(Paper, Question, Answer):
        people, bench_member = make_participants(rng, size)
        topics = make_topics(rng, size)
        papers = make_papers(rng, size, people, texts)
        questions, tags = make_questions(rng, size, papers, people, topics, texts)
        answers = make_answers(rng, size, questions, people, bench_member, texts)
        make_paper_links(papers, questions, answers, texts)
        make_users(people, bench_member)
    return {
        "papers": len(papers),
        "questions": len(questions),
        "answers": len(answers),
        "open answers": sum(1 for a in answers if not a.body),
        "participants": len(people) + 1,
        "topics": len(topics),
        "topic tags": len(tags),
    }


@contextmanager
def timestamps_as_given(*models):
    """auto_now/auto_now_add would stamp every row with today; a deterministic archive sets its own dates."""
    fields = [
        field
        for model in models
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    saved = [(field, field.auto_now, field.auto_now_add) for field in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


class Texts:
    """A Markdown body for every paper description, question and answer, written beforehand so
    they render together (in one process per CPU), with the links each one cites.

    Each post gets a body of its own, as in a real archive: bodies shared between posts would
    let anything that keeps work per distinct text (the import's rendering) look faster."""

    def __init__(self, rng, size: Size):
        self.fixture_sentences = _fixture_sentences()
        self.questions = [self._body(rng, rng.randint(2, 6)) for _ in range(size.papers + size.questions)]
        filled = size.answers - size.answers // 10  # a tenth are open (make_answers)
        self.answers = [self._body(rng, rng.choice([1, 2, 3, 3, 4, 5, 6, 8, 12])) for _ in range(filled)]
        self.html = render_all(self.questions + self.answers, processes=os.cpu_count() or 1)
        self.links = {body: reader._links_in(body) for body in self.html}

    def question(self) -> str:
        return self.questions.pop()

    def answer(self) -> str:
        return self.answers.pop()

    def _body(self, rng, sentences: int) -> str:
        paragraphs, current = [], []
        for _ in range(sentences):
            current.append(self._sentence(rng))
            if len(current) >= 3 and rng.random() < 0.4:
                paragraphs.append(" ".join(current))
                current = []
        if current:
            paragraphs.append(" ".join(current))
        extra = rng.random()
        if extra < 0.06:
            paragraphs.append(f"참고: {rng.choice(LINKS)}")
        elif extra < 0.09:
            paragraphs.append("복잡도는 $O(n^2 d)$ 이고, 길이가 길어지면 부담이 커집니다.")
        elif extra < 0.13:
            paragraphs.append(f"- {rng.choice(TERMS)}\n- {rng.choice(TERMS)}\n- {rng.choice(TERMS)}")
        elif extra < 0.16:
            paragraphs.append(f"`{rng.choice(TERMS)}` 설정은 **기본값**으로 두었습니다.")
        return "\n\n".join(paragraphs)

    def _sentence(self, rng) -> str:
        # About one sentence in four is the GPT-3 session's own words, for realistic lengths.
        draw = rng.random()
        if draw < 0.25:
            return rng.choice(self.fixture_sentences)
        templates = EFFICIENCY_SENTENCES if draw < 0.26 else SENTENCES
        return rng.choice(templates).format(t=rng.choice(TERMS), u=rng.choice(TERMS))


def _fixture_sentences() -> list[str]:
    discussion = reader.read((settings.BASE_DIR / "fixtures" / "gpt3-discussion.md").read_bytes())
    sentences = []
    for body in discussion._bodies():
        for line in body.splitlines():
            for piece in line.replace("? ", "?\n").replace(". ", ".\n").splitlines():
                piece = piece.strip()
                if 20 <= len(piece) <= 200 and "http" not in piece:
                    sentences.append(piece)
    return sentences


def _weights(n: int) -> list[float]:
    # A few members write much more than most, as in a real group.
    return [1 / (rank + 10) for rank in range(n)]


def make_participants(rng, size: Size):
    names = rng.sample([a + b for a in SYLLABLES[0] for b in SYLLABLES[1]], size.participants)
    people = [
        Participant(
            name=name,
            full_name=rng.choice(FAMILY_NAMES) + name if rng.random() < 0.3 else "",
            slug=slugify(name, allow_unicode=True),
        )
        for name in names
    ]
    bench_member = Participant(name=BENCH_PARTICIPANT, slug=slugify(BENCH_PARTICIPANT, allow_unicode=True))
    Participant.objects.bulk_create([*people, bench_member])
    return people, bench_member


def make_topics(rng, size: Size):
    rules = load_rules(settings.TOPIC_RULES).topics
    wanted = [(rule.name, rule.description) for rule in rules]
    wanted += [(name, f"Questions about {name.replace('-', ' ')}.") for name in MORE_TOPICS]
    topics = [
        Topic(name=name, slug=Topic().slugify(name), description=description)
        for name, description in wanted[: size.topics]
    ]
    return Topic.objects.bulk_create(topics)


def make_papers(rng, size: Size, people, texts):
    # Distinct titles, as real papers have: an import that finds no paper by its URL looks for one
    # by title, so two synthetic papers of one title would become one on the benchmark's import.
    titles = rng.sample(
        [f"{a} {b} for {c}" for a in TITLE_WORDS[0] for b in TITLE_WORDS[1] for c in TITLE_WORDS[2]],
        size.papers,
    )
    papers, slugs = [], set()
    day = START
    for i, title in enumerate(titles):
        slug = base = slugify(title, allow_unicode=True)[:80]
        n = 1
        while slug in slugs:
            n += 1
            slug = f"{base[:75]}-{n}"
        slugs.add(slug)
        url = f"https://arxiv.org/abs/{23 + i // 5000:02d}{1 + i % 12:02d}.{10000 + i:05d}"
        description = texts.question()
        stamp = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=11)
        papers.append(
            Paper(
                title=title,
                url=url,
                arxiv_id=url.rsplit("/", 1)[1],
                url_key=normalise_url(url),
                slug=slug,
                description=description,
                description_html=texts.html[description],
                session_date=day,
                presenter=rng.choices(people, weights=_weights(len(people)))[0],
                source_file=f"{slug}.md",
                created_at=stamp,
                updated_at=stamp,
            )
        )
        day += timedelta(days=rng.choice([2, 2, 3]))
    return Paper.objects.bulk_create(papers, batch_size=1000)


def make_questions(rng, size: Size, papers, people, topics, texts):
    # The first paper (the earliest session) gets the big thread; the others share the rest at random.
    owner = [0] * size.big_paper_questions
    owner += [1 + rng.randrange(len(papers) - 1) for _ in range(size.questions - size.big_paper_questions)]
    weights = _weights(len(people))
    topic_weights = [1 / (rank + 1) ** 0.7 for rank in range(len(topics))]
    questions, tags = [], []
    next_position = [0] * len(papers)
    for paper_index in owner:
        paper = papers[paper_index]
        next_position[paper_index] += 1
        position = next_position[paper_index]
        author = rng.choices(people, weights=weights)[0]
        body = texts.question()
        chosen = _pick_topics(rng, topics, topic_weights, rng.choice([0, 1, 1, 2, 2, 3]))
        stamp = paper.created_at + timedelta(minutes=position)
        question = Question(
            paper=paper,
            label=f"Q{position}",
            position=position,
            body=body,
            body_html=texts.html[body],
            import_key=f"Q{position}|{author.name}|1",
            author=author,
            topic_names=", ".join(sorted((t.name for t in chosen), key=str.casefold)),
            created_at=stamp,
            updated_at=stamp,
        )
        questions.append(question)
        tags += [TaggedQuestion(content_object=question, tag=topic) for topic in chosen]
    Question.objects.bulk_create(questions, batch_size=2000)
    TaggedQuestion.objects.bulk_create(tags, batch_size=5000)
    return questions, tags


def _pick_topics(rng, topics, weights, count):
    chosen = []
    while len(chosen) < min(count, len(topics)):
        topic = rng.choices(topics, weights=weights)[0]
        if topic not in chosen:
            chosen.append(topic)
    return chosen


def make_answers(rng, size: Size, questions, people, bench_member, texts):
    """Answers spread at random over questions (a few get none); 10% open; some replies to answers."""
    open_indexes = set(rng.sample(range(size.answers), size.answers // 10))
    bench_indexes = set(rng.sample(sorted(open_indexes), min(size.bench_open, len(open_indexes))))
    by_question = [[] for _ in questions]
    for index in range(size.answers):
        by_question[rng.randrange(len(questions))].append(index)

    weights = _weights(len(people))
    answers_by_depth = [[], [], [], []]  # parents must have their pk before their replies go in
    all_answers = []
    for question, indexes in zip(questions, by_question, strict=True):
        filled = []  # (answer, depth, import key) of this thread so far: what a reply may answer
        seen_keys = {}
        for position, index in enumerate(indexes, start=1):
            is_open = index in open_indexes
            parent, depth, prefix = None, 0, ""
            if not is_open and filled and rng.random() < 0.1:
                parent, parent_depth, parent_key = rng.choice(filled)
                if parent_depth < 3:
                    depth, prefix = parent_depth + 1, f"{parent_key}>"
                else:
                    parent = None
            author = bench_member if index in bench_indexes else rng.choices(people, weights=weights)[0]
            body = "" if is_open else texts.answer()
            label = parent.label if parent else f"A{question.position}"
            base = f"{prefix}{label}|{author.name}"
            seen_keys[base] = seen_keys.get(base, 0) + 1
            stamp = question.created_at + timedelta(hours=position)
            answer = Answer(
                question=question,
                parent=parent,
                label=label,
                position=position,
                body=body,
                body_html=texts.html[body] if body else "",
                import_key=f"{base}|{seen_keys[base]}",
                author=author,
                created_at=stamp,
                updated_at=stamp,
            )
            if not is_open:
                filled.append((answer, depth, answer.import_key))
            answers_by_depth[depth].append(answer)
            all_answers.append(answer)
    for batch in answers_by_depth:
        Answer.objects.bulk_create(batch, batch_size=2000)
    return all_answers


def make_paper_links(papers, questions, answers, texts):
    """What the importer would add: each paper's participants, references, and the links its posts cite."""
    writers = {paper.pk: {paper.presenter_id: None} for paper in papers}
    cited = {paper.pk: {} for paper in papers}
    question_paper = {}
    for question in questions:
        question_paper[question.pk] = question.paper_id
        writers[question.paper_id].setdefault(question.author_id)
        for link in texts.links[question.body]:
            cited[question.paper_id].setdefault(link)
    for answer in answers:
        paper_id = question_paper[answer.question_id]
        writers[paper_id].setdefault(answer.author_id)
        for link in texts.links.get(answer.body, []):
            cited[paper_id].setdefault(link)

    through = Paper.participants.through
    through.objects.bulk_create(
        [through(paper_id=paper_id, participant_id=pk) for paper_id, pks in writers.items() for pk in pks],
        batch_size=5000,
    )
    references = []
    for paper in papers:
        listed = [
            (f"https://github.com/study-group/{paper.slug}", "공식 코드"),
            (f"https://www.youtube.com/watch?v=bench{paper.pk}", "발표 영상"),
            (f"https://blog.example.com/{paper.slug}", f"{paper.title} 리뷰"),
        ]
        for position, (url, label) in enumerate(listed):
            references.append(
                Reference(
                    paper=paper, url=url, label=label, kind=Reference.infer_kind(url), position=position
                )
            )
        for position, url in enumerate(cited[paper.pk], start=len(listed)):
            references.append(
                Reference(
                    paper=paper,
                    url=url,
                    kind=Reference.infer_kind(url),
                    origin=Reference.Origin.CITED,
                    position=position,
                )
            )
    Reference.objects.bulk_create(references, batch_size=5000)


def make_users(people, bench_member):
    """The bench member, and a few other members, can log in; the password is hashed once for all."""
    User = get_user_model()
    password = make_password(BENCH_PASSWORD)
    members = [(BENCH_USERNAME, bench_member)] + [(f"member{i}", p) for i, p in enumerate(people[:5], 1)]
    for username, participant in members:
        user = User.objects.create(username=username, password=password)
        participant.user = user
        participant.save(update_fields=["user"])
