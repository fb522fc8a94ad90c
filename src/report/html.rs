//! The results pages as HTML, for a static site: the reports' Markdown rendered by
//! `pulldown-cmark` (with tables), links to other pages pointed at their HTML, in a page that
//! uses the site's style sheet.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A link target as the site serves it: a Markdown page becomes its HTML page.
fn target(url: &str) -> String {
    match url.strip_suffix(".md") {
        Some(page) if !url.contains("://") => format!("{page}.html"),
        _ => url.to_string(),
    }
}

/// A Markdown page as a whole HTML document titled `title`.
pub fn markdown_page(markdown: &str, title: &str) -> String {
    let events = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|event| match event {
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
            Event::Start(Tag::Link { link_type, dest_url: CowStr::from(target(&dest_url)), title, id })
        }
        other => other,
    });
    let mut body = String::new();
    html::push_html(&mut body, events);
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<link rel=\"stylesheet\" href=\"../www/style.css\">\n</head>\n<body class=\"results\">\n{body}</body>\n</html>\n",
        escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_what_the_reports_write() {
        let html = markdown_page(
            "# Title\n\nA **bold** `code` and [methods](methods.md), *shown*.\n\n| a | b |\n|---|---|\n| 1 < 2 | ![chart](x.svg) |\n\n- one\n  more\n- two\n",
            "T <1>",
        );
        assert!(html.contains("<title>T &lt;1&gt;</title>"), "{html}");
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(
            html.contains("<p>A <strong>bold</strong> <code>code</code> and <a href=\"methods.html\">methods</a>, <em>shown</em>.</p>"),
            "{html}"
        );
        assert!(html.contains("<th>a</th><th>b</th>"), "{html}");
        assert!(html.contains("<td>1 &lt; 2</td><td><img src=\"x.svg\" alt=\"chart\" /></td>"), "{html}");
        assert!(html.contains("<li>one\nmore</li>\n<li>two</li>"), "{html}");
    }
}
