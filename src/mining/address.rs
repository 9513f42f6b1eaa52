//! The street-address rules: one regular expression over a window of text whose optional
//! named groups are the components of an address (province, city … room), a form of it
//! without the empty match to find where addresses stand, and a rule for an estate's building
//! without a street; then the checks that decide which matches are addresses.

use std::ops::Range;

use regex::{Captures, Regex, RegexBuilder};

/// Han characters that are no part of a place name: function words, so that a match cannot
/// run across "我住在" or "的".
const NOT_PLACE: &str = "的了是在我你他她它们这那个有和就也都不没很要会能还从到被把给让说吗呢吧啊呀哦嘛么什怎为与及或但而且去来对向往于位住址处请您喂哪谁啥想寄发送收";

/// Han characters that may be part of a place name, as a regex class.
fn place_han() -> String {
    format!(r"[\p{{Han}}--[{NOT_PLACE}]]")
}

/// Whether `c` may be part of a place name (a Han character, not a function word).
pub(crate) fn is_place_han(c: char) -> bool {
    let han = matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F);
    han && !NOT_PLACE.contains(c)
}

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

/// The rules' patterns.
struct Patterns {
    /// Every component optional and captured by name, `more` repeated.
    address: String,
    /// `address` without its empty match (see `nonempty_pattern`).
    address_nonempty: String,
    /// Estate, building, unit and room without a street (阳光小区3栋2单元501室).
    estate: String,
}

fn patterns() -> Patterns {
    let h = &place_han();
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
    Patterns { address: address_pattern(&parts), address_nonempty: nonempty_pattern(&parts), estate }
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

/// The rules have many optional groups of Han characters (a large class in UTF-8): their lazy
/// DFA fills the default cache, after which the regex gives up on it for its slower NFA
/// engines, so it gets a cache of 16 MB.
fn compile(pattern: &str) -> Regex {
    RegexBuilder::new(pattern)
        .dfa_size_limit(16 << 20)
        .build()
        .unwrap_or_else(|e| panic!("address pattern {pattern}: {e}"))
}

/// The compiled address rules.
#[derive(Clone)]
pub(crate) struct AddressRules {
    address: Regex,
    address_nonempty: Regex,
    estate: Regex,
}

impl AddressRules {
    /// Compiles the rules (once per run).
    pub(crate) fn new() -> AddressRules {
        let p = patterns();
        AddressRules {
            address: compile(&p.address),
            address_nonempty: compile(&p.address_nonempty),
            estate: compile(&p.estate),
        }
    }

    /// The address rule's non-empty matches in `window`, each with its groups (read only for
    /// these few matches: finding them uses the fast engines).
    fn candidates<'w>(&self, window: &'w str) -> impl Iterator<Item = (Range<usize>, Captures<'w>)> {
        self.address_nonempty
            .find_iter(window)
            .filter_map(|m| self.address.captures(m.as_str()).map(|c| (m.range(), c)))
    }

    /// The addresses in `window` (byte ranges), in order: first those of the address rule
    /// that hold a street-level component and another one, then the estate rule's.
    pub(crate) fn find(&self, window: &str) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
        let mut addresses = Vec::new();
        for (whole, c) in self.candidates(window) {
            // A road ending in 道 needs a house number and a coarser part, or three characters.
            let avenue_numbered = c.name("num").is_some()
                && (c.name("prov").is_some()
                    || c.name("city").is_some()
                    || c.name("dist").is_some()
                    || c.name("road").is_some_and(|r| r.as_str().chars().count() >= 3));
            // "小区", "地区" are not districts; "线路", "网路" are not roads.
            let has = |g: &str| {
                c.name(g).is_some_and(|part| {
                    let text = part.as_str();
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
                addresses.push(whole);
            }
        }
        let estates = self.estate.find_iter(window).map(|m| m.range()).collect();
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
    use std::sync::OnceLock;

    fn rules() -> &'static AddressRules {
        static R: OnceLock<AddressRules> = OnceLock::new();
        R.get_or_init(AddressRules::new)
    }

    /// The addresses and the estate rule's matches `find` gives for `text`, as text.
    fn found(text: &str) -> (Vec<&str>, Vec<&str>) {
        let (addresses, estates) = rules().find(text);
        let as_text = |v: Vec<Range<usize>>| v.into_iter().map(|r| &text[r]).collect();
        (as_text(addresses), as_text(estates))
    }

    /// The named groups that took part in each of the address rule's matches in `text`.
    fn groups(text: &str) -> Vec<Vec<(&str, &str)>> {
        let names: Vec<&str> = rules().address.capture_names().flatten().collect();
        rules()
            .candidates(text)
            .map(|(_, c)| {
                names.iter().filter_map(|&n| c.name(n).filter(|g| !g.is_empty()).map(|g| (n, g.as_str()))).collect()
            })
            .collect()
    }

    #[test]
    fn addresses_are_found_with_their_spans() {
        let text = "位于济南市新泺大街雅居园小区门对面，寄到济南市历下区泉城路188号";
        // Byte ranges of the window; "位于" is not a place name, "门对面" not part of one.
        assert_eq!(rules().find(text), (vec![6..42, 60..93], vec![]));
        let cases: [(&str, &[&str], &[&str]); 6] = [
            ("我住在阳光小区3栋2单元501室，好的", &["阳光小区3栋2单元501室"], &["阳光小区3栋2单元501室"]),
            (
                "北京市西城区牛街西里二区12号楼地下室二层,信号；湖南省长沙市雨花区黎郡新宇康景园8栋1单元9楼",
                &["北京市西城区牛街西里二区12号楼地下室二层", "湖南省长沙市雨花区黎郡新宇康景园8栋1单元9楼"],
                &["长沙市雨花区黎郡新宇康景园8栋1单元"],
            ),
            ("静安区余姚路487弄70\u{865F}", &["静安区余姚路487弄70\u{865F}"], &[]),
            (
                "新疆维吾尔自治区乌鲁木齐市天山区解放南路1号，香港特别行政区，延边朝鲜族自治州",
                &["新疆维吾尔自治区乌鲁木齐市天山区解放南路1号"],
                &[],
            ),
            // A road named with 道 and its number, after a city.
            ("深圳市南山区高新南一道9号", &["深圳市南山区高新南一道9号"], &[]),
            // Han characters beyond the plane are place-name characters; an emoji is not.
            (
                "\u{20000}\u{20000}路8号\u{1F600}，济南\u{20000}区经十路",
                &["\u{20000}\u{20000}路8号", "济南\u{20000}区经十路"],
                &[],
            ),
        ];
        for (text, addresses, estates) in cases {
            assert_eq!(found(text), (addresses.to_vec(), estates.to_vec()), "{text}");
        }
    }

    #[test]
    fn the_groups_are_the_components() {
        assert_eq!(
            groups("寄到济南市历下区泉城路188号"),
            [[("city", "济南市"), ("dist", "历下区"), ("road", "泉城路"), ("num", "188号")]]
        );
        assert_eq!(
            groups("湖南省长沙市雨花区黎郡新宇康景园8栋1单元9楼"),
            [vec![
                ("prov", "湖南省"),
                ("city", "长沙市"),
                ("dist", "雨花区"),
                ("estate", "黎郡新宇康景园"),
                ("bldg", "8栋"),
                ("unit", "1单元"),
                ("more", "9楼")
            ]]
        );
        assert_eq!(
            groups("北京市西城区牛街西里二区12号楼地下室二层"),
            [[("city", "北京市"), ("dist", "西城区"), ("road", "牛街"), ("more", "西里二区12号楼地下室二层")]]
        );
    }

    #[test]
    fn ordinary_words_are_not_addresses() {
        for text in [
            // Matches of the rule that the checks turn down: a common word for a district or a
            // road, one component alone.
            "小区线路问题，订单号手机号，10000号，地区网路",
            "我知道了，这个频道，高新南一道",
            "香港特别行政区，延边朝鲜族自治州",
            "号楼号院弄栋幢座单元室楼层里区",
            "我住在这里，你们的地址是什么",
            "",
        ] {
            assert_eq!(found(text), (vec![], vec![]), "{text}");
        }
        // The rule does match them: the checks decide.
        assert!(!groups("小区线路问题，订单号手机号，10000号，地区网路").is_empty());
    }

    #[test]
    fn the_non_empty_address_rule_finds_what_the_address_rule_finds() {
        let r = rules();
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
}
