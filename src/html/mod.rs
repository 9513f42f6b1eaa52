//! The shared HTML shell of the reports (coaching pages, the mining report): one self-contained
//! page with the inline stylesheet, text escaping, SVG charts (`charts`) and the subset of the
//! bundled font its own text needs (`font`); no scripts and nothing fetched, so the file can be
//! mailed or opened offline and reads the same on any machine.

pub mod charts;
pub mod font;
pub mod font_subset;

const CSS: &str = r#"
body, svg text { font-family: "PeilianSansSC", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; }
body { margin: 0; background: #f4f6f8; color: #1f2933; }
header { background: #1f4e79; color: #fff; padding: 20px 32px; }
header h1 { margin: 0 0 4px 0; font-size: 24px; }
header p { margin: 0; opacity: .85; }
main { padding: 24px 32px; max-width: 1100px; }
section { background: #fff; border-radius: 10px; padding: 16px 20px; margin-bottom: 18px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
h2 { font-size: 18px; margin: 0 0 12px 0; color: #1f4e79; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { flex: 1 1 140px; background: #f0f4f8; border-radius: 8px; padding: 10px 14px; }
.card b { display: block; font-size: 24px; color: #1f4e79; }
.card span { font-size: 13px; color: #52606d; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
th { background: #f0f4f8; color: #334e68; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.tag { white-space: nowrap; }
.muted { color: #7b8794; }
p.note { font-size: 13px; color: #52606d; margin: 8px 0 0 0; }
.pass { color: #2f855a; font-weight: 600; }
.fail { color: #c53030; font-weight: 600; }
.up { color: #2f855a; } .down { color: #c53030; }
.charts { display: flex; gap: 16px; flex-wrap: wrap; }
.charts svg { max-width: 100%; height: auto; }
ul { margin: 4px 0 4px 20px; padding: 0; }
footer { color: #7b8794; font-size: 12px; padding: 0 32px 24px; }
a { color: #1f4e79; }
details.session { border-top: 1px solid #e4e7eb; padding: 6px 0; }
details.session > summary { cursor: pointer; font-size: 14px; }
.turn { margin: 8px 0 8px 12px; padding: 6px 10px; border-left: 3px solid #d9e2ec; font-size: 14px; }
.turn:target { border-left-color: #dd6b20; background: #fffaf0; }
.turn p { margin: 2px 0; }
.turn .who { color: #52606d; }
.turn .old { color: #7b8794; text-decoration: line-through; }
.turn .meta { font-size: 13px; color: #52606d; }
h3 { font-size: 15px; margin: 14px 0 6px 0; }
code { font-family: monospace, "PeilianSansSC", sans-serif; background: #f0f4f8; padding: 1px 4px; border-radius: 4px; }
"#;

/// Escapes text for HTML (text and quoted attribute values): markup characters become
/// entities, and control characters, line breaks and bidirectional controls become visible
/// escapes (`\u{1b}`, `\u{202e}` …) as in the terminal, so a name can neither add markup nor
/// turn the rest of a table row around.
pub fn esc(s: &str) -> String {
    crate::text::safe::terminal_safe(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A whole self-contained page: the shared style, a header, the body.
pub fn page(title: &str, subtitle: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>{CSS}</style></head><body><header><h1>{t}</h1><p>{s}</p></header><main>{body}</main>\
         <footer>由 peilian 陪练 生成 · 离线页面，无外部资源</footer></body></html>\n",
        t = esc(title),
        s = esc(subtitle)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_add_markup_or_control_characters() {
        assert_eq!(esc("<script>alert('x')</script>"), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
        assert_eq!(esc("a\"b&c"), "a&quot;b&amp;c");
        assert_eq!(esc("<>&\"'"), "&lt;&gt;&amp;&quot;&#39;");
        assert_eq!(esc("&lt;"), "&amp;lt;", "an entity in the text is shown, not decoded");
        assert_eq!(esc("小王\n\u{1b}[2J\u{202e}"), "小王\\n\\u{1b}[2J\\u{202e}");
        assert_eq!(esc("平常的话"), "平常的话");
    }

    #[test]
    fn a_page_has_the_escaped_title_the_stylesheet_and_the_body_once() {
        let p = page("报告 <b>&", "副标题 \"引\"", "<section id=\"x\">正文</section>");
        assert!(p.starts_with("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"));
        assert!(p.ends_with("</body></html>\n"));
        assert!(p.contains("<title>报告 &lt;b&gt;&amp;</title>"), "{p}");
        assert!(p.contains("<header><h1>报告 &lt;b&gt;&amp;</h1><p>副标题 &quot;引&quot;</p></header>"), "{p}");
        assert_eq!(p.matches("<style>").count(), 1);
        assert!(p.contains(&format!("<style>{CSS}</style></head>")));
        assert!(CSS.contains("font-family: \"PeilianSansSC\""), "the style asks for the embedded family first");
        assert_eq!(p.matches("<main><section id=\"x\">正文</section></main>").count(), 1, "the body is not escaped");
        assert!(p.contains("<footer>由 peilian 陪练 生成"));
        for external in ["<script", "<link", "http://", "https://", "@import"] {
            assert!(!p.contains(external), "self-contained, but has {external}");
        }
    }
}
