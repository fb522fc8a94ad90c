//! The results pages as HTML, for a static site: the subset of Markdown the reports write
//! (headings, paragraphs, lists, tables, images, links, `code`, **bold**, *emphasis*).

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

/// One line of inline Markdown as HTML.
fn inline(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        // `code`
        if c == '`'
            && let Some(end) = rest[1..].find('`')
        {
            out += &format!("<code>{}</code>", escape(&rest[1..1 + end]));
            rest = &rest[end + 2..];
            continue;
        }
        // ![alt](src) and [text](url)
        let image = rest.starts_with("![");
        if image || c == '[' {
            let open = if image { 2 } else { 1 };
            if let Some(close) = rest.find("](")
                && let Some(end) = rest[close..].find(')')
            {
                let label = &rest[open..close];
                let url = &rest[close + 2..close + end];
                out += &if image {
                    format!("<img src=\"{}\" alt=\"{}\">", escape(url), escape(label))
                } else {
                    format!("<a href=\"{}\">{}</a>", escape(&target(url)), inline(label))
                };
                rest = &rest[close + end + 1..];
                continue;
            }
        }
        // **bold** and *emphasis*
        let marked = [("**", "strong"), ("*", "em")].into_iter().find_map(|(mark, tag)| {
            let inner = rest.strip_prefix(mark)?;
            let end = inner.find(mark).filter(|&e| e > 0)?;
            Some((format!("<{tag}>{}</{tag}>", inline(&inner[..end])), 2 * mark.len() + end))
        });
        if let Some((html, used)) = marked {
            out += &html;
            rest = &rest[used..];
            continue;
        }
        out += &escape(&c.to_string());
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn cells(row: &str) -> Vec<&str> {
    row.trim().trim_start_matches('|').trim_end_matches('|').split('|').map(str::trim).collect()
}

/// A Markdown page as a whole HTML document titled `title`.
pub fn markdown_page(markdown: &str, title: &str) -> String {
    let mut body = String::new();
    let lines: Vec<&str> = markdown.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim().is_empty() {
            i += 1;
        } else if let Some(level) = (1..=4).find(|&l| line.starts_with(&format!("{} ", "#".repeat(l)))) {
            body += &format!("<h{level}>{}</h{level}>\n", inline(&line[level + 1..]));
            i += 1;
        } else if line.starts_with('|') {
            body += "<table>\n";
            let header = cells(line);
            body += &format!("<tr>{}</tr>\n", header.iter().map(|c| format!("<th>{}</th>", inline(c))).collect::<String>());
            i += 1;
            if lines.get(i).is_some_and(|l| l.starts_with("|-") || l.starts_with("| -") || l.starts_with("|:")) {
                i += 1;
            }
            while let Some(row) = lines.get(i).filter(|l| l.starts_with('|')) {
                body += &format!("<tr>{}</tr>\n", cells(row).iter().map(|c| format!("<td>{}</td>", inline(c))).collect::<String>());
                i += 1;
            }
            body += "</table>\n";
        } else if line.starts_with("- ") || line.starts_with("* ") {
            body += "<ul>\n";
            while let Some(item) = lines.get(i).and_then(|l| l.strip_prefix("- ").or_else(|| l.strip_prefix("* "))) {
                let mut text = item.to_string();
                i += 1;
                while let Some(more) = lines.get(i).filter(|l| l.starts_with("  ") && !l.trim().is_empty()) {
                    text = format!("{text} {}", more.trim());
                    i += 1;
                }
                body += &format!("<li>{}</li>\n", inline(&text));
            }
            body += "</ul>\n";
        } else if line.starts_with("    ") || line.starts_with("```") {
            let fenced = line.starts_with("```");
            if fenced {
                i += 1;
            }
            let mut code = Vec::new();
            while let Some(l) = lines.get(i) {
                if fenced && l.starts_with("```") {
                    i += 1;
                    break;
                }
                if !fenced && !l.starts_with("    ") {
                    break;
                }
                code.push(if fenced { *l } else { &l[4..] });
                i += 1;
            }
            body += &format!("<pre><code>{}</code></pre>\n", escape(&code.join("\n")));
        } else {
            let mut paragraph = vec![line.trim()];
            i += 1;
            while let Some(l) = lines.get(i).filter(|l| {
                !l.trim().is_empty() && !l.starts_with('#') && !l.starts_with('|') && !l.starts_with("- ") && !l.starts_with("    ")
            }) {
                paragraph.push(l.trim());
                i += 1;
            }
            body += &format!("<p>{}</p>\n", inline(&paragraph.join(" ")));
        }
    }
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
            "T",
        );
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(
            html.contains("<p>A <strong>bold</strong> <code>code</code> and <a href=\"methods.html\">methods</a>, <em>shown</em>.</p>"),
            "{html}"
        );
        assert!(html.contains("<tr><th>a</th><th>b</th></tr>"), "{html}");
        assert!(html.contains("<td>1 &lt; 2</td><td><img src=\"x.svg\" alt=\"chart\"></td>"), "{html}");
        assert!(html.contains("<li>one more</li>\n<li>two</li>"), "{html}");
    }
}
