//! The receipt's QR code: the receipt page's address (the code in its fragment) drawn as an
//! inline SVG on the server, so the thank-you screen needs no script, image request or
//! storage to show it, and nothing of it is kept once the page is sent.

use std::fmt::Write;

use maud::{Markup, html};

/// Modules of white border the QR standard asks around the code.
const QUIET_ZONE: usize = 4;

/// `content` as a QR code (error correction M): one square per dark module on white, with
/// the quiet zone, as an `svg` named `label` for screen readers. `None` if `content` does
/// not fit a QR code.
pub fn svg(content: &str, label: &str) -> Option<Markup> {
    let code =
        qrcode::QrCode::with_error_correction_level(content.as_bytes(), qrcode::EcLevel::M).ok()?;
    let width = code.width();
    let size = width + 2 * QUIET_ZONE;
    let mut dark = String::new();
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = (i % width + QUIET_ZONE, i / width + QUIET_ZONE);
            let _ = write!(dark, "M{x} {y}h1v1h-1z");
        }
    }
    Some(html! {
        svg.receipt-qr xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {size} {size}"))
            shape-rendering="crispEdges" role="img" aria-label=(label) {
            rect width=(size) height=(size) fill="#fff" {}
            path fill="#000" d=(dark) {}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_svg_is_a_named_image_of_the_whole_address() {
        let address = "https://relay.example.se/kvitto#0123456789ABCDEFGHJKMNPQRST";
        let svg = svg(address, "QR-kod").expect("fits").into_string();
        assert!(svg.starts_with("<svg class=\"receipt-qr\""), "{svg}");
        assert!(svg.contains("role=\"img\" aria-label=\"QR-kod\""), "{svg}");
        // The address is only in the drawing, not as text a script or a crawler reads off it.
        assert!(!svg.contains("kvitto"), "{svg}");
        // Version 4 (33 modules) holds this address at level M; with the quiet zone, 41.
        assert!(svg.contains("viewBox=\"0 0 41 41\""), "{svg}");
        assert!(svg.matches('M').count() > 200, "dark modules drawn");
    }

    #[test]
    fn a_label_is_escaped() {
        let svg = svg("x", "a \"quoted\" <label>")
            .expect("fits")
            .into_string();
        assert!(
            svg.contains("aria-label=\"a &quot;quoted&quot; &lt;label&gt;\""),
            "{svg}"
        );
    }

    #[test]
    fn content_too_long_for_a_qr_code_gives_none() {
        assert!(svg(&"x".repeat(3_000), "label").is_none());
    }
}
