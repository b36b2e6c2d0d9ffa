from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import pytest

from miners.mention import Mention
from models.howto import Baselines, HowtoWeights, rank_howto, replies_by_target, structure_score

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def _m(mid: str, kind: str, **kw: object) -> Mention:
    source = "youtube" if kind.startswith("video") else "reddit"
    base = dict(
        id=mid,
        source=source,
        kind=kind,
        brand="Acme",
        native_id=mid,
        text="",
        fetched_at=NOW,
        created_at=NOW - timedelta(days=kw.pop("age", 2)),
    )
    base.update(kw)
    return Mention(**base)  # type: ignore[arg-type]


def _corpus() -> list[Mention]:
    chapters = [{"start_s": 0, "title": "Intro"}, {"start_s": 40, "title": "Reset the router"}]
    return [
        _m(
            "v1",
            "video",
            title="How to fix Acme wifi dropping",
            text="0:00 Intro\n0:40 Reset the router",
            views=20_000,
            likes=900,
            author="c1",
            community="FixIt",
            extra={"chapters": chapters},
        ),
        _m("v2", "video", title="Acme unboxing", text="my new router", views=2_000, likes=20, author="c2"),
        _m(
            "v3",
            "video",
            title="Official: how to reset your Acme router",
            text="steps",
            views=50_000,
            likes=1_000,
            author="acme",
            is_official=True,
        ),
        _m("c1", "video_comment", text="That fixed it, thanks!", parent_id="v1", thread_id="v1", author="u1"),
        _m("c2", "video_comment", text="thanks, worked for me", parent_id="v1", thread_id="v1", author="u2"),
        _m(
            "p1",
            "post",
            title="Wifi keeps dropping?",
            text="help",
            score=10,
            upvote_ratio=0.9,
            community="acme",
            author="op",
            flair="Solved",
        ),
        _m(
            "s1",
            "comment",
            text="1. Unplug the router\n2. Hold reset for 10 s\n3. Re-pair",
            score=25,
            parent_id="p1",
            thread_id="p1",
            community="acme",
            author="helper",
        ),
        _m(
            "r1",
            "comment",
            text="Thanks, that worked!",
            parent_id="s1",
            thread_id="p1",
            community="acme",
            author="op",
            extra={"is_submitter": True},
        ),
    ]


def _rank(weights: HowtoWeights = HowtoWeights()):
    corpus = _corpus()
    probs = {"v1": 0.9, "v2": 0.1, "v3": 0.9, "s1": 0.8, "p1": 0.3}
    threads = {m.id: m for m in corpus if m.kind in ("post", "video")}
    return rank_howto(
        corpus,
        replies_by_target(corpus),
        probs,
        Baselines.of(corpus, NOW),
        NOW,
        threads=threads,
        weights=weights,
    )


def test_rank_howto__score_is_the_weighted_sum_of_its_signals() -> None:
    ranked, _ = _rank()
    weights = asdict(HowtoWeights())
    for item in ranked:
        expected = sum(weights[name] * value for name, value in item.signals.items())
        assert item.score == pytest.approx(expected, abs=1e-3)


def test_rank_howto__video_with_worked_replies_explains_why() -> None:
    ranked, _ = _rank()
    video = next(s for s in ranked if s.mention.id == "v1")
    assert video.signals["worked"] == pytest.approx(0.75)
    assert "2 replies say it worked" in video.reasons
    assert any("views a day" in r for r in video.reasons)


def test_rank_howto__solution_comment_gets_solved_flair_and_op_confirmation() -> None:
    ranked, _ = _rank()
    solution = next(s for s in ranked if s.mention.id == "s1")
    assert solution.signals["solved"] == 1.0
    assert solution.signals["op_confirmed"] == 1.0
    assert "the original poster confirmed it worked" in solution.reasons


def test_rank_howto__official_content_is_kept_out_of_the_ranking() -> None:
    ranked, official = _rank()
    assert [s.mention.id for s in official] == ["v3"]
    assert "v3" not in {s.mention.id for s in ranked}


def test_rank_howto__non_instructional_items_are_not_ranked() -> None:
    ranked, _ = _rank()
    ids = [s.mention.id for s in ranked]
    assert "v2" not in ids and "p1" not in ids and "c1" not in ids
    assert ids == sorted(ids, key=lambda i: -next(s.score for s in ranked if s.mention.id == i))


def test_structure_score__question_titles_are_not_instructions() -> None:
    assert structure_score(_m("q", "post", title="How do I fix my wifi?")) == 0.0
    for request in (
        "Google, please fix this. Search terms should carry over",
        "Maps needs a fix",
        "Google won't fix it",
        "I have malware on my laptop, and I have no idea how to get rid of it.",
        "[HELP] Please... Someone tell me how to fix this small problem.",
    ):
        assert structure_score(_m("r", "post", title=request)) == 0.0, request
    for offer in ("Fix for Chrome crashing on start", "Jumpy videos? Here is how to fix it!"):
        assert structure_score(_m("f", "post", title=offer)) == 0.5, offer
    assert structure_score(
        _m("g", "post", title="Guide: fixing wifi drops", text="1. a\n2. b")
    ) == pytest.approx(0.8)


def test_score_item__says_which_form_makes_it_instructions_or_that_only_the_model_says_so() -> None:
    from models.howto import score_item

    baselines = Baselines({}, {})
    guide = _m(
        "g1",
        "post",
        title="How to stop the router dropping wifi",
        text="1. Unplug it\n2. Wait\n3. Plug it in",
    )
    scored = score_item(guide, [], 0.2, baselines, NOW)
    assert "instructional form: how-to title, 3 listed steps" in scored.reasons
    video = rank_howto(_corpus(), {}, {}, baselines, NOW)[0]
    assert any(r.startswith("instructional form: how-to title, 2 video chapters") for r in video[0].reasons)
    mockups = _m("m1", "post", title="How I imagine the app in the future (10 mockups)", text="")
    plain = _m("m2", "post", title="The router's settings page, explained", text="")
    assert (
        "the how-to model reads it as instructions (80%)"
        in score_item(plain, [], 0.8, baselines, NOW).reasons
    )
    assert not any("instruction" in r for r in score_item(plain, [], 0.3, baselines, NOW).reasons)
    assert structure_score(mockups) == 0  # "how I imagine" is not a how-I-did-it title...
    assert structure_score(_m("m3", "post", title="Power button broke: how I compensated", text="")) == 0.5


def test_rank_howto__judged_items_are_decided_by_their_probability_alone() -> None:
    """A probability that already weighs the form (models.instructional) decides for the items it
    names: a how-to video it doubts is out, an unboxing it trusts is in, with that probability as its
    instructional signal; the others keep the head-or-form rule.
    """
    corpus = _corpus()
    threads = {m.id: m for m in corpus if m.kind in ("post", "video")}
    probs = {"v1": 0.9, "v2": 0.1, "v3": 0.9, "s1": 0.8, "p1": 0.3}
    ranked, _ = rank_howto(
        corpus, replies_by_target(corpus), probs, Baselines.of(corpus, NOW), NOW, threads=threads,
        judged={"v1": (0.2, False), "v2": (0.7, True)},
    )  # fmt: skip
    by_id = {s.mention.id: s for s in ranked}
    assert "v1" not in by_id and "v2" in by_id and "s1" in by_id
    assert by_id["v2"].signals["instructional"] == pytest.approx(0.7)


def test_title_asks__requests_in_any_form_ask_and_a_guide_quoting_a_question_does_not() -> None:
    from models.howto import form_features, title_asks

    for request in (
        "[REQUEST] How to clean a nasty old toilet",
        "*Request* How to fix a busted zipper",
        "REQUEST: How to clean a nasty old toilet",
        "Anyone tell me how to turn a Froyo phone into a Wifi repeater",
        "Problem I'm having with reddit on Chrome, wondering if there's a fix.",
        "Certain sites always time out in Chrome only, can't find a fix.",
        "Google Now: There needs to be an undo button for swiping cards away.",  # a feature wish
        "There should be a way to fix the lockscreen",
    ):
        assert title_asks(request), request
    for offer in (
        '"How do I do ____ like I did on my iPhone?" - A Guide',
        "Guide to getting rid of your land line",
        "Lost your keys? Unlock your car door using a string!",
    ):
        assert not title_asks(offer), offer
    guide = _m("g", "post", title="Guide to getting rid of your land line", text="1. Port\n2. Cancel")
    assert form_features(guide) == [1.0, 0.0, 1.0, 0.0, 0.0, 0.0]
    til = _m("t", "post", title="TIL you can pin tabs in Chrome", text="Has anyone else tried it?")
    assert form_features(til)[4:] == [1.0, 1.0]  # tip words; the body asks


def test_rank_howto__a_comment_others_say_worked_is_a_solution_whatever_its_wording() -> None:
    post = _m(
        "p", "post", title="Acme app crashes on start", text="any ideas?", author="op", community="acme"
    )
    tip = _m("t", "comment", text="Try safe mode, then clear the cache", parent_id="p", thread_id="p",
             author="helper", score=12, community="acme")  # fmt: skip
    chat = _m("x", "comment", text="Same here, so annoying", parent_id="p", thread_id="p", author="other",
              score=30, community="acme")  # fmt: skip
    thanks = _m("y", "comment", text="That worked, thanks!", parent_id="t", thread_id="p", author="op")
    worked = _m("z", "comment", text="+1 worked for me", parent_id="x", thread_id="p", author="someone")
    # a thank-you with an agreeing reply confirms something else; it is no answer itself
    agree = _m("w", "comment", text="same here, that worked too", parent_id="y", thread_id="p", author="u9")
    corpus = [post, tip, chat, thanks, worked, agree]
    probs = {"t": 0.2, "x": 0.1, "y": 0.05, "z": 0.05, "w": 0.05}  # none reads as instructions to the model
    ranked, _ = rank_howto(
        corpus, replies_by_target(corpus), probs, Baselines.of(corpus, NOW), NOW, threads={"p": post}
    )
    assert [s.mention.id for s in ranked] == ["t", "x"]
    tip_scored = ranked[0]
    assert (
        "the original poster confirmed it worked" in tip_scored.reasons
        and tip_scored.signals["op_confirmed"] == 1.0
    )
    # "x" is ranked for the other user's "worked for me" (a reply by someone else), not for its text
    assert ranked[1].signals["worked"] > 0 and ranked[1].signals["op_confirmed"] == 0.0
    assert rank_howto(corpus, {}, probs, Baselines.of(corpus, NOW), NOW, threads={"p": post})[0] == []


@pytest.mark.parametrize(
    ("reply", "worked"),
    [
        ("That fixed it, thanks!", True),
        ("thanks, worked for me", True),
        ("Worked like a charm", True),
        ("This helped a lot", True),
        ("Thanks, but it didn't work for me", False),
        ("thanks, still crashing though", False),
        ("Tried it, no luck. Thanks anyway, it does not fix the login", False),
        ("Does this work on Android 4.2?", False),
    ],
)
def test_says_worked__a_reply_that_says_the_fix_did_not_work_is_no_confirmation(
    reply: str, worked: bool
) -> None:
    from models.howto import says_worked

    assert says_worked(reply) is worked
