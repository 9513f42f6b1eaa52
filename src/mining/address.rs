//! The street-address rules, run on a coded copy of a window of text: one byte per character,
//! each character the rules name (省, 路, 号 …) its own code, every other place-name character
//! one shared code. The rules are the same regular expressions as over the text itself, but
//! over an alphabet of about 70 symbols instead of all of Unicode, so their automata are far
//! smaller and cost little to build and to run (the Han-character class made each worker
//! thread build a large lazy DFA).

use std::fmt::Write as _;
use std::ops::Range;

use regex::Regex;
use regex::bytes::Regex as CodedRegex;

/// Han characters that may be part of a place name: function words are left out so that a
/// match cannot run across "我住在" or "的".
pub(crate) const PLACE_HAN: &str = r"[\p{Han}--[的了是在我你他她它们这那个有和就也都不没很要会能还从到被把给让说吗呢吧啊呀哦嘛么什怎为与及或但而且去来对向往于位住址处请您喂哪谁啥想寄发送收]]";

/// How the street-level components of an address end. An accepted address holds one of them
/// (see `AddressRules::find`), so text holding none of these words is not tried.
pub(crate) const ROAD_ENDS: &str = "大街|大道|路|街|巷|胡同|弄";
/// A road named with 道 (高新南一道): accepted only with its house number, as 道 ends many
/// ordinary words (知道, 频道).
pub(crate) const AVENUE_END: &str = "道";
pub(crate) const ESTATE_ENDS: &str = "小区|花园|家园|公寓|大厦|新村|社区|广场|苑|园|村|城|府|庭|湾";
pub(crate) const BUILDING_ENDS: &str = "号楼|栋|幢|座";
pub(crate) const ROOM_ENDS: &str = "室|房";
/// The estates of the building-level rule (阳光小区3栋).
pub(crate) const ESTATE_NAMES: &str = "小区|花园|家园|公寓|大厦|新村|苑|园|城";

/// Stands for `PLACE_HAN` in the rules' templates (a private-use character no rule names).
const H: char = '\u{E000}';

/// The code of a place-name character the rules do not name.
const PLACE: u8 = 0x02;
/// The code of a character no rule can match.
const NOTHING: u8 = 0x00;
/// Codes of the characters the rules name start here.
const FIRST_NAMED: u8 = 0x80;

/// The rules as templates: regex syntax, the named characters as themselves, `H` for a
/// place-name character.
struct Templates {
    /// Every component optional and captured by name, `more` repeated.
    address: String,
    /// `address` without its empty match (see `nonempty_pattern`).
    address_nonempty: String,
    /// Estate, building, unit and room without a street (阳光小区3栋2单元501室).
    estate: String,
}

fn templates() -> Templates {
    let h = H;
    let hao = '\u{865F}'; // the traditional form of 号
    // The components of an address, in order, each optional; `more` repeats.
    let parts: [(&str, String); 11] = [
        ("prov", format!(r"{h}{{2,7}}(?:省|自治区|特别行政区)")),
        ("city", format!(r"{h}{{1,7}}(?:市|自治州|地区|盟)")),
        ("dist", format!(r"{h}{{1,7}}(?:区|县|旗)")),
        ("town", format!(r"{h}{{1,7}}(?:镇|乡|街道)")),
        ("road", format!(r"(?:{h}|[0-9]){{1,10}}?(?:{ROAD_ENDS}|{AVENUE_END})")),
        ("num", format!(r"(?:[0-9一二三四五六七八九十百零\-]+(?:号院|号|{hao}|弄))+")),
        ("estate", format!(r"(?:{h}|[0-9A-Za-z]){{1,12}}?(?:{ESTATE_ENDS})")),
        ("bldg", format!(r"[0-9一二三四五六七八九十A-Za-z]+(?:{BUILDING_ENDS})")),
        ("unit", r"[0-9一二三四五六七八九十]+单元".to_string()),
        ("room", format!(r"[0-9]+(?:{ROOM_ENDS})")),
        ("more", format!(r"(?:{h}|[0-9A-Za-z]){{0,6}}?(?:号楼|号院|号|{hao}|弄|栋|幢|座|单元|室|楼|层|里|区)")),
    ];
    let estate = format!(
        r"(?:{h}|[0-9A-Za-z]){{2,12}}?(?:{ESTATE_NAMES})[0-9一二三四五六七八九十A-Za-z]+(?:号楼|栋|幢|座|期)(?:[0-9一二三四五六七八九十]+单元)?(?:[0-9]+(?:室|房|号))?"
    );
    Templates { address: address_pattern(&parts), address_nonempty: nonempty_pattern(&parts), estate }
}

/// The address rule: every component optional and captured by name, `more` repeated.
fn address_pattern(parts: &[(&str, String)]) -> String {
    parts
        .iter()
        .map(|(name, p)| if *name == "more" { format!("(?P<more>(?:{p})*)") } else { format!("(?P<{name}>{p})?") })
        .collect()
}

/// The same rule without the empty match: one alternative per component that starts the
/// match (`c_i c_i+1? … more*`, the last `more+`), in the rule's order. Where `address` has a
/// non-empty match it prefers it, and this rule prefers the same one, so `find_iter` yields
/// the same non-empty matches — but without stopping at every position for an empty one.
fn nonempty_pattern(parts: &[(&str, String)]) -> String {
    let optional = |(name, p): &(&str, String)| if *name == "more" { format!("(?:{p})*") } else { format!("(?:{p})?") };
    (0..parts.len())
        .map(|i| {
            let (name, first) = &parts[i];
            let head = if *name == "more" { format!("(?:{first})+") } else { format!("(?:{first})") };
            let tail: String = parts[i + 1..].iter().map(optional).collect();
            format!("{head}{tail}")
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// A template as a pattern over the text itself (Unicode): what the coded rules must match
/// exactly (the tests compare them).
#[cfg(test)]
fn text_pattern(template: &str) -> String {
    template.replace(H, PLACE_HAN)
}

/// A window of text in the rules' alphabet.
pub(crate) struct Coded {
    codes: Vec<u8>,
    /// Byte offset in the window of each character, and the window's length last.
    offsets: Vec<usize>,
}

impl Coded {
    /// The byte range in the window of the characters `chars`.
    fn bytes(&self, chars: Range<usize>) -> Range<usize> {
        self.offsets[chars.start]..self.offsets[chars.end]
    }
}

/// The compiled address rules and the alphabet they read.
#[derive(Clone)]
pub(crate) struct AddressRules {
    /// The code of each character of the Basic Multilingual Plane.
    bmp_codes: Box<[u8]>,
    /// Place-name characters beyond the plane (rare: decided when met).
    place_han: Regex,
    address: CodedRegex,
    address_nonempty: CodedRegex,
    estate: CodedRegex,
}

impl AddressRules {
    /// Builds the alphabet and compiles the rules (once per run; `peilian mine` starts as fast
    /// as before, 0.15 s for a one-line file).
    pub(crate) fn new() -> AddressRules {
        let templates = templates();
        // Every character the templates name gets its own code, in order of first appearance.
        let mut named: Vec<char> = Vec::new();
        for c in [&templates.address, &templates.address_nonempty, &templates.estate].iter().flat_map(|t| t.chars()) {
            if !c.is_ascii() && c != H && !named.contains(&c) {
                named.push(c);
            }
        }
        assert!(named.len() <= usize::from(u8::MAX - FIRST_NAMED) + 1, "too many named characters");
        // One character matches the class or not: the same regex decides beyond the plane.
        let place_han = Regex::new(PLACE_HAN).expect("PLACE_HAN compiles");
        let mut bmp_codes = vec![NOTHING; 0x1_0000].into_boxed_slice();
        // The place-name characters of the plane, found by the class itself: every character
        // once, one match per character.
        let all: String = (0..0x1_0000u32).filter_map(char::from_u32).collect();
        for m in place_han.find_iter(&all) {
            for c in m.as_str().chars() {
                bmp_codes[c as usize] = PLACE;
            }
        }
        for b in 0..0x80u8 {
            if b.is_ascii_alphanumeric() || b == b'-' {
                bmp_codes[usize::from(b)] = b;
            }
        }
        let mut class = format!(r"[\x{PLACE:02X}");
        for (i, &c) in named.iter().enumerate() {
            assert!((c as u32) < 0x1_0000, "named character {c} is beyond the plane");
            let code = FIRST_NAMED + i as u8;
            if bmp_codes[c as usize] == PLACE {
                // A named character that is also a place-name character matches `H` too.
                let _ = write!(class, r"\x{code:02X}");
            }
            bmp_codes[c as usize] = code;
        }
        class.push(']');
        let coded = |template: &str| -> CodedRegex {
            let mut pattern = String::from("(?-u)");
            for c in template.chars() {
                if c == H {
                    pattern.push_str(&class);
                } else if c.is_ascii() {
                    pattern.push(c);
                } else {
                    let _ = write!(pattern, r"\x{:02X}", bmp_codes[c as usize]);
                }
            }
            CodedRegex::new(&pattern).unwrap_or_else(|e| panic!("address pattern {pattern}: {e}"))
        };
        AddressRules {
            address: coded(&templates.address),
            address_nonempty: coded(&templates.address_nonempty),
            estate: coded(&templates.estate),
            bmp_codes,
            place_han,
        }
    }

    fn code_of(&self, c: char) -> u8 {
        match self.bmp_codes.get(c as usize) {
            Some(&code) => code,
            None if self.place_han.is_match(c.encode_utf8(&mut [0; 4])) => PLACE,
            None => NOTHING,
        }
    }

    pub(crate) fn code(&self, window: &str) -> Coded {
        let mut codes = Vec::with_capacity(window.len());
        let mut offsets = Vec::with_capacity(window.len() + 1);
        for (at, c) in window.char_indices() {
            codes.push(self.code_of(c));
            offsets.push(at);
        }
        offsets.push(window.len());
        Coded { codes, offsets }
    }

    /// The addresses in `window` (byte ranges), in order: first those of the address rule
    /// that hold a street-level component and another one, then the estate rule's.
    pub(crate) fn find(&self, window: &str) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
        let coded = self.code(window);
        let mut addresses = Vec::new();
        for m in self.address_nonempty.find_iter(&coded.codes) {
            let Some(c) = self.address.captures(m.as_bytes()) else { continue };
            // A road ending in 道 needs a house number and a coarser part, or three characters.
            let avenue_numbered = c.name("num").is_some()
                && (c.name("prov").is_some()
                    || c.name("city").is_some()
                    || c.name("dist").is_some()
                    || c.name("road").is_some_and(|r| r.len() >= 3));
            // "小区", "地区" are not districts; "线路", "网路" are not roads.
            let has = |g: &str| {
                c.name(g).is_some_and(|part| {
                    let at = m.start() + part.start();
                    let text = &window[coded.bytes(at..at + part.len())];
                    match g {
                        "dist" => !is_common_word(text, "小社园校专地景城市郊山片街辖营"),
                        "road" => {
                            !is_common_word(text, "线电网道公马思套出一铁走带进销来去后前")
                                && (!text.ends_with(AVENUE_END) || text.ends_with("大道") || avenue_numbered)
                        }
                        _ => true,
                    }
                })
            };
            let coarse = ["prov", "city", "dist", "town"].iter().filter(|g| has(g)).count();
            let fine = ["road", "num", "estate", "bldg", "unit", "room"].iter().filter(|g| has(g)).count();
            let street_level = has("road") || has("estate") || has("bldg") || has("room");
            // Every accepted address has a road, estate, building or room (see `ROAD_ENDS`).
            let accept = (fine >= 2 && street_level) || (coarse >= 1 && (has("road") || has("estate")));
            if accept {
                addresses.push(coded.bytes(m.range()));
            }
        }
        let estates = self.estate.find_iter(&coded.codes).map(|m| coded.bytes(m.range())).collect();
        (addresses, estates)
    }
}

/// A two-character word whose first character makes it an ordinary word, not a name.
fn is_common_word(word: &str, first_chars: &str) -> bool {
    let mut chars = word.chars();
    match (chars.next(), chars.next(), chars.next()) {
        (Some(a), Some(_), None) => first_chars.contains(a),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::texts_of_pieces;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use std::sync::OnceLock;

    fn rules() -> &'static AddressRules {
        static R: OnceLock<AddressRules> = OnceLock::new();
        R.get_or_init(AddressRules::new)
    }

    /// The rules over the text itself, as they ran before the coded alphabet.
    struct TextRules {
        address: Regex,
        address_nonempty: Regex,
        estate: Regex,
    }

    fn text_rules() -> &'static TextRules {
        static R: OnceLock<TextRules> = OnceLock::new();
        R.get_or_init(|| {
            let t = templates();
            let big = |p: &str| regex::RegexBuilder::new(&text_pattern(p)).dfa_size_limit(16 << 20).build().unwrap();
            TextRules { address: big(&t.address), address_nonempty: big(&t.address_nonempty), estate: big(&t.estate) }
        })
    }

    const GROUPS: [&str; 11] =
        ["prov", "city", "dist", "town", "road", "num", "estate", "bldg", "unit", "room", "more"];

    /// Every match of the three rules with every group, by byte offsets, coded or not.
    type Found = (Vec<(Range<usize>, Vec<Option<Range<usize>>>)>, Vec<Range<usize>>);

    fn found_coded(text: &str) -> Found {
        let r = rules();
        let coded = r.code(text);
        let matches = r
            .address_nonempty
            .find_iter(&coded.codes)
            .map(|m| {
                let c = r.address.captures(m.as_bytes()).expect("a non-empty match is a match");
                let groups = GROUPS
                    .iter()
                    .map(|g| c.name(g).map(|p| coded.bytes(m.start() + p.start()..m.start() + p.end())))
                    .collect();
                (coded.bytes(m.range()), groups)
            })
            .collect();
        (matches, r.estate.find_iter(&coded.codes).map(|m| coded.bytes(m.range())).collect())
    }

    fn found_in_text(text: &str) -> Found {
        let r = text_rules();
        let matches = r
            .address_nonempty
            .find_iter(text)
            .map(|m| {
                let c = r.address.captures(m.as_str()).expect("a non-empty match is a match");
                let groups =
                    GROUPS.iter().map(|g| c.name(g).map(|p| m.start() + p.start()..m.start() + p.end())).collect();
                (m.range(), groups)
            })
            .collect();
        (matches, r.estate.find_iter(text).map(|m| m.range()).collect())
    }

    #[test]
    fn coded_rules_match_what_the_rules_match_in_the_text() {
        // Named characters, place-name characters (one of them beyond the plane), excluded
        // function words, digits, letters, `-`, punctuation and a non-Han character beyond the
        // plane: every text of up to three pieces, and 100,000 random ones of four to ten.
        let pieces = [
            "济南",
            "省",
            "市",
            "区",
            "县",
            "街道",
            "路",
            "大街",
            "88",
            "号",
            "\u{865F}",
            "阳光",
            "小区",
            "3栋",
            "2单元",
            "501室",
            "楼",
            "层",
            "里",
            "弄",
            "期",
            "十",
            "我",
            "的",
            "A",
            "-",
            "，",
            "\u{20000}",
            "\u{1F600}",
            "地",
        ];
        let mut texts = texts_of_pieces(&pieces, 3);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..100_000 {
            let n = rng.random_range(4..=10);
            texts.push((0..n).map(|_| pieces[rng.random_range(0..pieces.len())]).collect());
        }
        let mut with_address = 0;
        for t in &texts {
            let coded = found_coded(t);
            assert_eq!(coded, found_in_text(t), "{t}");
            with_address += usize::from(!coded.0.is_empty() || !coded.1.is_empty());
        }
        assert!(with_address > texts.len() / 2, "{with_address} of {}", texts.len());
        for t in [
            "位于济南市新泺大街雅居园小区门对面，寄到济南市历下区泉城路188号",
            "我住在阳光小区3栋2单元501室，小区线路问题，订单号手机号",
            "北京市西城区牛街西里二区12号楼地下室二层,信号；湖南省长沙市雨花区黎郡新宇康景园8栋1单元9楼",
            "静安区余姚路487弄70\u{865F}这里区区号号路路园园室",
            "新疆维吾尔自治区乌鲁木齐市天山区解放南路1号，香港特别行政区，延边朝鲜族自治州",
        ] {
            for (at, _) in t.char_indices() {
                assert_eq!(found_coded(&t[at..]), found_in_text(&t[at..]), "{}", &t[at..]);
            }
        }
    }

    #[test]
    fn the_non_empty_address_rule_finds_what_the_address_rule_finds() {
        let r = text_rules();
        let texts = [
            "位于济南市新泺大街雅居园小区门对面，寄到济南市历下区泉城路188号",
            "我住在阳光小区3栋2单元501室，小区线路问题，订单号手机号",
            "北京市西城区牛街西里二区12号楼地下室二层,信号；湖南省长沙市雨花区黎郡新宇康景园8栋1单元9楼",
            "静安区余姚路487弄70\u{865F}这里区区号号路路园园室",
            "号楼号院弄栋幢座单元室楼层里区",
            "",
        ];
        for text in texts {
            // Every suffix too, so that matches start at many different places.
            for (at, _) in text.char_indices() {
                let t = &text[at..];
                let all: Vec<Range<usize>> =
                    r.address.find_iter(t).filter(|m| !m.is_empty()).map(|m| m.range()).collect();
                let non_empty: Vec<Range<usize>> = r.address_nonempty.find_iter(t).map(|m| m.range()).collect();
                assert_eq!(non_empty, all, "{t}");
            }
        }
    }

    #[test]
    fn the_alphabet_keeps_what_the_rules_tell_apart() {
        let r = rules();
        let codes = |s: &str| r.code(s).codes;
        // Named characters have codes of their own; other place-name characters share one.
        assert_eq!(codes("济南"), [PLACE, PLACE]);
        assert!(codes("路")[0] >= FIRST_NAMED && codes("路") != codes("街"));
        // Function words and punctuation match nothing; digits, letters and `-` stay.
        assert_eq!(codes("我，的"), [NOTHING; 3]);
        assert_eq!(codes("9a-Z"), b"9a-Z");
        // Beyond the plane: a Han character is a place-name character, an emoji is not.
        assert_eq!(codes("\u{20000}\u{1F600}"), [PLACE, NOTHING]);
        let coded = r.code("a路\u{20000}");
        assert_eq!(coded.offsets, [0, 1, 4, 8]);
        assert_eq!(coded.bytes(1..3), 1..8);
    }
}
