"""Terraform's standard library: every documented function is evaluated, or unknown on purpose with a reason."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import evaluated

from providers.semantics.records import Unknown
from providers.terraform.functions import FUNCTIONS, NOT_EVALUATED

# The functions Terraform's language documentation lists (Terraform 1.14), by category.
DOCUMENTED = {
    "numeric": "abs ceil floor log max min parseint pow signum",
    "string": "chomp endswith format formatlist indent join lower regex regexall replace split startswith "
              "strcontains strrev substr templatestring title trim trimprefix trimsuffix trimspace upper",
    "collection": "alltrue anytrue chunklist coalesce coalescelist compact concat contains distinct element "
                  "flatten index keys length lookup matchkeys merge one range reverse setintersection setproduct "
                  "setsubtract setunion slice sort sum transpose values zipmap",
    "encoding": "base64decode base64encode base64gzip csvdecode jsondecode jsonencode textdecodebase64 "
                "textencodebase64 urlencode yamldecode yamlencode",
    "filesystem": "abspath dirname pathexpand basename file fileexists fileset filebase64 templatefile",
    "date and time": "formatdate plantimestamp timeadd timecmp timestamp",
    "hash and crypto": "base64sha256 base64sha512 bcrypt filebase64sha256 filebase64sha512 filemd5 filesha1 "
                       "filesha256 filesha512 md5 rsadecrypt sha1 sha256 sha512 uuid uuidv5",
    "ip network": "cidrhost cidrnetmask cidrsubnet cidrsubnets",
    "type conversion": "can ephemeralasnull issensitive nonsensitive sensitive tobool tolist tomap tonumber toset "
                       "tostring try type",
    "provider::terraform": "encode_tfvars decode_tfvars encode_expr",
}
_EVALUATOR_FORMS = {"try", "can", "templatestring"}


_eval = evaluated


@pytest.mark.parametrize("name", sorted({n for names in DOCUMENTED.values() for n in names.split()}))
def test_every_documented_function_is_evaluated_or_unknown_on_purpose(name: str) -> None:
    assert (name in FUNCTIONS) != (name in NOT_EVALUATED) or name in _EVALUATOR_FORMS, name
    if name in NOT_EVALUATED:
        found = _eval(f"{name}(\"x\")")
        assert isinstance(found, Unknown) and NOT_EVALUATED[name] in found.reason


@pytest.mark.parametrize(("source", "expected"), [
    # numeric
    ("abs(-12.4)", 12.4), ("ceil(5.1)", 6), ("floor(4.9)", 4), ("log(16, 2)", 4.0), ("max(12, 54, 3)", 54),
    ("min([12, 54, 3]...)", 3), ('parseint("FF", 16)', 255), ('parseint("-10", 2)', -2), ("pow(3, 2)", 9),
    ("signum(-13)", -1),
    # string
    ('chomp("hello\\n\\n")', "hello"), ('endswith("hello", "lo")', True),
    ('format("%-5s|%5s", "a", "b")', "a    |    b"),
    ('format("%03d %.2f %t %q %#v", 7, 3.14159, true, "x", {a = 1})', '007 3.14 true "x" {"a": 1}'),
    ('formatlist("%s-%s", ["a", "b"], "x")', ["a-x", "b-x"]), ('indent(2, "a\\nb")', "a\n  b"),
    ('join("-", ["a", "b"], ["c"])', "a-b-c"), ('regex("[a-z]+", "53abc23")', "abc"),
    ('regex("(\\\\d+)-(\\\\d+)", "10-20")', ["10", "20"]),
    ('regex("(?P<region>[a-z]+-[a-z]+-\\\\d)", "arn:aws:s3:eu-west-2:1")', {"region": "eu-west-2"}),
    ('regexall("[a-z]+", "1ab2cd")', ["ab", "cd"]),
    ('replace("hello world", "/w.*d/", "everybody")', "hello everybody"),
    ('replace("eu-west-2", "-", "")', "euwest2"), ('split(",", "a,b")', ["a", "b"]), ('strrev("abc")', "cba"),
    ('substr("hello world", 1, 4)', "ello"), ('substr("hello", -3, -1)', "llo"),
    ('title("hello world")', "Hello World"),
    ('trim("?!hello?!", "!?")', "hello"), ('trimprefix("eu-west-2", "eu-")', "west-2"), ('upper("uk")', "UK"),
    # collection
    ("alltrue([true, \"true\"])", True), ("anytrue([false])", False), ("chunklist([1, 2, 3], 2)", [[1, 2], [3]]),
    ('coalescelist([], ["a"])', ["a"]), ('compact(["a", "", null])', ["a"]), ('contains(["a"], "a")', True),
    ('index(["a", "b"], "b")', 1), ('matchkeys(["i-1", "i-2"], ["eu", "us"], ["eu"])', ["i-1"]),
    ("range(3)", [0, 1, 2]), ("range(1, 8, 3)", [1, 4, 7]), ("reverse([1, 2])", [2, 1]),
    ('setintersection(["a", "b"], ["b", "c"])', ["b"]), ('setproduct(["a"], ["x", "y"])', [["a", "x"], ["a", "y"]]),
    ('setsubtract(["a", "b"], ["a"])', ["b"]), ('setunion(["b"], ["a"])', ["a", "b"]),
    ('slice(["eu-west-2", "eu-west-1", "us-east-1"], 0, 2)', ["eu-west-2", "eu-west-1"]),
    ('sort(["b", "a"])', ["a", "b"]), ("sum([1, 2.5])", 3.5), ('transpose({a = ["1", "2"], b = ["2"]})',
                                                                 {"1": ["a"], "2": ["a", "b"]}),
    ('zipmap(["a"], [1])', {"a": 1}), ('toset(["b", "a", "b"])', ["a", "b"]),
    # encoding
    ('base64decode("aGVsbG8=")', "hello"), ('base64encode("hello")', "aGVsbG8="),
    ('csvdecode("a,b\\n1,2\\n")', [{"a": "1", "b": "2"}]), ('jsondecode("{\\"a\\": 1}")', {"a": 1}),
    ('textencodebase64("hi", "UTF-16LE")', "aABpAA=="), ('textdecodebase64("aABpAA==", "UTF-16LE")', "hi"),
    ('urlencode("a b&c")', "a+b%26c"), ('yamldecode("region: eu-west-2")', {"region": "eu-west-2"}),
    # hash
    ('md5("hello")', "5d41402abc4b2a76b9719d911017c592"), ('sha1("hello")', "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
    ('uuidv5("dns", "www.terraform.io")', "a5008fae-b28c-5ba5-96cd-82b4c53552d6"),
    # ip network
    ('cidrsubnet("10.1.2.0/24", 4, 15)', "10.1.2.240/28"), ('cidrhost("10.12.112.0/20", 16)', "10.12.112.16"),
    ('cidrhost("10.12.112.0/20", -1)', "10.12.127.255"), ('cidrnetmask("172.16.0.0/12")', "255.240.0.0"),
    ('cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)', ["10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24", "10.1.48.0/20"]),
    # date and time
    ('formatdate("DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01Z")', "02 Jan 2018 23:12 UTC"),
    ('formatdate("EEEE, DD-MMM-YY hh:mm:ss ZZZ", "2018-01-02T23:12:01-08:00")', "Tuesday, 02-Jan-18 23:12:01 -0800"),
    ('formatdate("h\'h\'mm", "2018-01-02T23:12:01-08:00")', "23h12"),
    ('timeadd("2017-11-22T00:00:00Z", "10m")', "2017-11-22T00:10:00Z"),
    ('timecmp("2017-11-22T00:00:00Z", "2017-11-22T01:00:00+01:00")', 0),
    # type conversion
    ('tonumber("1.5")', 1.5), ('tobool("true")', True), ("tostring(5)", "5"), ("tonumber(null)", None),
    ('sensitive("x")', "x"), ('can(regex("^eu", "eu-west-2"))', True), ('can(regex("^us", "eu-west-2"))', False),
    # provider::terraform
    ('provider::terraform::encode_tfvars({region = "eu-west-2", n = 1})', 'n = 1\nregion = "eu-west-2"\n'),
    ('provider::terraform::decode_tfvars("region = \\"eu-west-2\\"")', {"region": "eu-west-2"}),
    ('provider::terraform::encode_expr(["a", 1])', '["a", 1]'),
])
def test_functions_evaluate_as_terraform_documents_them(source: str, expected: Any) -> None:
    assert _eval(source) == expected


@pytest.mark.parametrize(("source", "expected"), [
    # An error inside a list or object constructor fails the constructor, so try() moves on.
    ('try([var.c["rule"]], [var.c["rules"]], [])', [[{"id": "all"}]]),
    ('try({a = var.c["missing"]}, "fallback")', "fallback"),
    ('try(lookup(var.c, "missing"), "fallback")', "fallback"),
    ('try(slice(["a"], 0, 5), ["b"])', ["b"]),
    ('can([var.c["missing"]])', False),
    ('flatten(try([var.c["rule"]], [var.c["rules"]], []))', [{"id": "all"}]),
])
def test_try_and_can_catch_errors_anywhere_inside_their_arguments(source: str, expected: Any) -> None:
    assert _eval(source, c={"rules": [{"id": "all"}]}) == expected


def test_templatestring_renders_a_template_held_in_a_value() -> None:
    # Terraform takes the template from a reference: a literal would be interpolated before the call.
    assert _eval('templatestring(var.t, {r = "eu-west-2"})', t="region ${r}") == "region eu-west-2"
    assert isinstance(_eval("templatestring(var.t, {})", t="${other}"), Unknown)


def test_an_unknown_argument_stops_try_and_makes_can_unknown() -> None:
    assert isinstance(_eval("try(var.unset, \"fallback\")"), Unknown)
    assert isinstance(_eval("can(var.unset)"), Unknown)


def test_a_function_that_is_not_terraforms_is_an_error_try_can_skip() -> None:
    assert _eval('try(nosuchfunction("a"), "b")') == "b"
