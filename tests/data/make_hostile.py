#!/usr/bin/env python3
"""Writes the hostile test corpora: hostile_identifiers.json and hostile_defaults.json.

Run from this folder (`python3 make_hostile.py`) after editing; the JSON files are what the
tests read, committed so that they are reviewed like code. Seeded: the output is stable.
"""
import json
import random

SQL_WORDS = """select from where table order group by user key index check constraint default
null not and or primary foreign references create drop alter column values insert update
delete into join on as desc asc limit offset all any case when then else end exists in is like
between distinct union having grant revoke trigger view database schema sequence function
procedure cascade restrict set true false natural cross left right full inner outer using with
returning window partition range rows current_date current_time current_timestamp localtime
analyze unique sql_mode interval""".split()
RUST_WORDS = """fn type match self Self crate super mod use pub impl trait struct enum loop while
for if let mut ref move return async await dyn static const unsafe where extern break continue
abstract become box do final macro override priv typeof unsized virtual yield try union
r#type _ __ gen""".split()
QUOTES = ['"', "'", "`", '""', "''", "``", 'a"b', "a'b", "a`b", 'a""b', "]", "[x]", "x]", '"; DROP TABLE x; --',
          "'); DROP TABLE x; --", "`; DROP TABLE x; --", '"#', "#\"", 'r#"', "\"'`"]
BACKSLASHES = ["\\", "a\\b", "\\\\", "\\n", "\\'", '\\"', "\\0", "\\z", "a\\", "\\`"]
CONTROL = ["\0", "a\0b", "\t", "\n", "\r", "\r\n", "\x01", "\x1b[31m", "\x7f", "a\nb", "a\tb", "\x08", "\x1a"]
BIDI = ["\u202e", "\u2066", "a\u202eb", "\u200f", "\ufeff", "\u200b", "admin\u202e\u2066", "\u061c"]
EMOJI = ["😀", "a😀", "👩‍👩‍👧", "☃", "✓", "♥", "🦀rust"]
NON_ASCII = ["é", "ü", "日本語", "Ελληνικά", "русский", "עברית", "العربية", "e\u0301", "Straße", "ß", "İ",
             "ı", "Ω", "ω", "ﬁ", "Ⅻ", "한국어", "ไทย", "\u00a0", "\u3000"]
DIGITS = ["1", "123", "1a", "0x10", "1e5", "9_", "0", "-1", "1.5"]
SPACES = [" ", " a", "a ", "a b", "  ", "a  b"]
SQLISH = ["--", "/*", "*/", "a--b", "a/*b", ";", "$1", "$$", "?", "%", "%s", "@", "#", "@@version", ":name",
          "{}", "${x}", "a.b", "a,b", "a(b)", "*", "a=b", "<>", "||", "&&"]
LENGTHS = ["a" * 62, "a" * 63, "a" * 64, "é" * 31 + "a", "é" * 32, "é" * 63, "日" * 21, "日" * 22,
           "a" * 62 + "é", "a" * 61 + "é", "Z" * 64, "x" * 100, "ab" * 31 + "c"]
CASE = ["Name", "name", "NAME", "CamelCase", "camelcase", "ID", "Id"]

def identifiers():
    items = SQL_WORDS + RUST_WORDS + QUOTES + BACKSLASHES + CONTROL + BIDI + EMOJI + NON_ASCII + DIGITS \
        + SPACES + SQLISH + LENGTHS + CASE
    rng = random.Random(20261127)
    pieces = QUOTES + BACKSLASHES + CONTROL + BIDI + NON_ASCII + SQLISH + ["a", "b", "_", "-", "."]
    while len(items) < 330:
        items.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 4))))
    seen, unique = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            unique.append(item)
    return unique

TEXT_DEFAULTS = ["", " ", "  ", "'", "''", '"', "it's", '"quoted"', "'); DROP TABLE x; --", "\\'", "\\\\'",
                 "\\", "\\\\", "a\\nb", "a\nb", "a\r\nb", "\t", "*/", "/*", "--", "-- comment\n", "#", "$$",
                 "$1", "%", "_", "?", ":name", "@x", "\\0", "\\z", "\\b", "\\%", "\\_", "\0", "a\0b", "\x01",
                 "\x1b[0m", "\x7f", "\x08", "\x1a", '{"a": "b\\"c"}', '{"k":"it\'s"}', '[1,2,"\\\\"]',
                 "1", "-0", "1e309", "NaN", "inf", "-inf", "Infinity", "0x1F", "1,5", "😀", "👩‍👩‍👧",
                 "\u202eevil", "e\u0301", "日本語", "NULL", "null", "DEFAULT", "CURRENT_TIMESTAMP",
                 "now()", "(SELECT 1)", "' || (SELECT 1) || '", "\\' OR 1=1 -- ", "\" OR \"\"=\"",
                 "x" * 5000, "é" * 2000, "'" * 1000, "\\" * 1000, "\n" * 100, "a'b\"c`d\\e"]

def text_defaults():
    items = list(TEXT_DEFAULTS)
    rng = random.Random(1127)
    pieces = ["'", '"', "\\", "`", "\n", "\r", "\t", "*/", "--", "é", "😀", "\u202e", "a", " ", "%", "_", "$", "{", "}"]
    while len(items) < 180:
        items.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))))
    return items

# Numeric defaults: [column type, SeaORM value kind, value as JSON]. Non-finite floats are
# written as strings ("NaN", "inf", "-inf") since JSON has no literal for them.
NUMBER_DEFAULTS = [
    ["integer", "int", 0], ["integer", "int", -2147483648], ["integer", "int", 2147483647],
    ["big_integer", "bigint", -9223372036854775808], ["big_integer", "bigint", 9223372036854775807],
    ["double", "double", 0.1], ["double", "double", -0.0], ["double", "double", 1e308],
    ["double", "double", -1e-300], ["double", "double", 5e-324], ["double", "double", 3.141592653589793],
    ["double", "double", "NaN"], ["double", "double", "inf"], ["double", "double", "-inf"],
    ["float", "float", 1.5], ["float", "float", "NaN"], ["float", "float", "inf"],
    ["integer", "string", "12"], ["integer", "string", "-7"], ["integer", "string", "12abc"],
    ["integer", "string", "1; DROP TABLE x"], ["integer", "string", ""], ["integer", "string", "NaN"],
    ["double", "string", "2.5"], ["double", "string", "1e3"], ["double", "string", "inf"],
]

def main():
    with open("hostile_identifiers.json", "w", encoding="utf-8") as f:
        json.dump(identifiers(), f, ensure_ascii=True, indent=0)
        f.write("\n")
    with open("hostile_defaults.json", "w", encoding="utf-8") as f:
        json.dump({"text": text_defaults(), "number": NUMBER_DEFAULTS}, f, ensure_ascii=True, indent=0)
        f.write("\n")
    print(len(identifiers()), "identifiers,", len(text_defaults()) + len(NUMBER_DEFAULTS), "defaults")

main()
