"""Tokenisation, stop words, stemming and the synonym table."""

from __future__ import annotations

import pytest

from scalewarden.knowledge.synonyms import SYNONYMS, expand, spans
from scalewarden.knowledge.text import (
    STOP_WORDS,
    analyse,
    identifier_words,
    negated_terms,
    plain_words,
    stem,
    words,
)


def test_words_lower_case_and_split_camel_case_identifiers() -> None:
    assert words("Amazon ECS uses iam:PassRole") == [
        "amazon",
        "ecs",
        "uses",
        "iam",
        "passrole",
        "pass",
        "role",
    ]
    assert "registerscalabletarget" in words("RegisterScalableTarget")
    assert {"register", "scalable", "target"} <= set(words("RegisterScalableTarget"))


def test_words_keep_versions_and_split_them_from_names() -> None:
    assert words("TLS 1.2, tls1.3 and EC2/S3") == ["tls", "1.2", "tls", "1.3", "and", "ec2", "s3"]
    assert words("ｆｕｌｌ－ｗｉｄｔｈ") == ["full", "width", "fullwidth"]  # NFKC


def test_hyphenated_identifiers_also_count_as_one_word() -> None:
    assert words("application-autoscaling:scalable-dimension") == [
        "application",
        "autoscaling",
        "scalable",
        "dimension",
        "applicationautoscaling",
        "scalabledimension",
    ]


def test_stem_merges_the_forms_people_type() -> None:
    pairs = [
        ("policies", "policy"),
        ("roles", "role"),
        ("encrypted", "encrypt"),
        ("scaling", "scale"),
        ("logging", "logs"),
        ("tagging", "tags"),
        ("aliases", "alias"),
        ("keys", "key"),
        ("replicas", "replica"),
        ("quotas", "quota"),
    ]
    for a, b in pairs:
        assert stem(a) == stem(b), (a, b)
    assert stem("access") == "access"  # not a plural
    assert stem("status") == "status"
    assert stem("ecs") == "ecs"  # short words stay
    assert stem("1.2") == "1.2"
    assert stem("policy") != stem("police")


def test_analyse_drops_stop_words_but_keeps_negations() -> None:
    assert analyse("How do I delete the roles?") == ["delet", "role"]
    assert "not" not in STOP_WORDS and "no" not in STOP_WORDS
    assert analyse("can i not", keep_stop_words=True) == ["can", "i", "not"]


def test_plain_words_strip_punctuation() -> None:
    assert plain_words("Hello, *World*! (TLS 1.2)") == ["hello", "world", "tls", "1.2"]


def test_synonyms_expand_acronyms_and_phrases() -> None:
    assert expand(["slr"]) == ["service", "linked", "role"]
    assert expand(["app", "autoscaling", "perms"]) == [
        "application",
        "auto",
        "scaling",
        "permissions",
    ]
    assert expand(["vpce", "policy"]) == ["vpc", "endpoint", "policy"]
    assert "privatelink" in expand(["privatelink"])  # the short form is kept
    assert expand(["unknown", "words"]) == ["unknown", "words"]


def test_synonyms_prefer_the_longest_phrase() -> None:
    # "app autoscaling" as a phrase, not "app" + "autoscaling"
    assert spans(["app", "autoscaling"]) == [
        (("app", "autoscaling"), ["application", "auto", "scaling"])
    ]
    assert spans(["autoscaling"]) == [(("autoscaling",), ["auto", "scaling"])]


def test_synonym_table_covers_the_required_acronyms() -> None:
    for key in ("slr", "vpce", "privatelink", "abac", "aas", "sigv4", "scp", "tls"):
        assert key in SYNONYMS
    assert "app autoscaling" in SYNONYMS
    for key, value in SYNONYMS.items():
        assert key == key.lower() and value == value.lower(), key


def test_slack_shorthand_expands_to_the_words_articles_use() -> None:
    assert expand(["authn", "vs", "authz"]) == [
        "authentication",
        "signed",
        "in",
        "vs",
        "authorization",
        "permissions",
    ]
    assert expand(["admin", "acct"]) == ["administrator", "account"]
    assert expand(["tgt", "sched"]) == ["target", "scheduled"]
    assert expand(["cn", "north", "1"]) == ["cn", "china", "north", "1"]
    assert expand(["if", "it", "breaks"]) == ["if", "it", "stops", "fails"]


def test_chat_filler_words_are_stop_words() -> None:
    # unknown filler would count against the question's coverage and could make the engine
    # decline a real question
    assert analyse("tbh idk which tls version, btw asap") == ["tls", "version"]


@pytest.mark.parametrize(
    ("text", "contrast_only", "excluded"),
    [
        (
            "let devs manage scheduled actions but not touch scaling policies",
            False,
            {"touch", "scal", "polici"},
        ),
        ("edit scaling policies only, no schedules", False, {"schedul"}),
        (
            "let sre manage scaling policies but block scheduled actions",
            False,
            {"schedul", "action"},
        ),
        (
            "Policy example: manage scaling policies but not scheduled actions",
            True,
            {"schedul", "action"},
        ),
        # a heading naming an error excludes nothing: only "but not", "without", "except" count
        ("Not authorized to perform iam:PassRole when registering a scalable target", True, set()),
        ("why is it not scaling - min capacity is 1", False, {"scal"}),
        ("register a scalable target", False, set()),
    ],
)
def test_negated_terms_stop_at_the_end_of_the_clause(
    text: str, contrast_only: bool, excluded: set[str]
) -> None:
    assert negated_terms(text, contrast_only=contrast_only) == excluded


def test_identifier_words_are_the_parts_of_mixed_case_tokens_only() -> None:
    found = identifier_words("who deleted AWSServiceRoleForApplicationAutoScaling_DynamoDBTable?")
    assert {"aws", "service", "role", "dynamo", "table"} <= found
    assert "who" not in found and "deleted" not in found
    # a product name or a short action is the subject, not a label
    assert identifier_words("DynamoDB CloudWatch ecs:UpdateService") == frozenset()
    # lower-case, upper-case and title-case words are typed words, not identifiers
    assert identifier_words("what does the ECS policy allow") == frozenset()
