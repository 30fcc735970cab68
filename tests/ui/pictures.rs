//! The docs' pictures: the README shows the table, `docs/app.md` every screen; each has its
//! file, a real PNG of the size `scripts/screenshots` makes, and the script makes every one.

use std::path::Path;

/// The screens the docs must picture, by file name.
const SCREENS: [&str; 4] = ["table", "restore-dialog", "result", "sign-in"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `assets/screenshots/*.png` images a page shows, in order (from the root or from
/// `docs/`).
fn pictured(page: &str) -> Vec<String> {
    page.split("assets/screenshots/")
        .skip(1)
        .filter_map(|rest| rest.split_once(')').map(|(file, _)| file.to_string()))
        .collect()
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&bytes[16..20]), be(&bytes[20..24])))
}

#[test]
fn every_screen_the_docs_picture_has_its_picture() {
    let read = |page: &str| std::fs::read_to_string(root().join(page)).expect(page);
    assert!(
        pictured(&read("README.md")).contains(&"table.png".to_string()),
        "the README shows the table"
    );
    let shown = pictured(&read("docs/app.md"));
    for screen in SCREENS {
        assert!(
            shown.contains(&format!("{screen}.png")),
            "docs/app.md shows no picture of the {screen} screen: {shown:?}"
        );
    }
    let script = std::fs::read_to_string(root().join("scripts/screenshots")).expect("script");
    for file in &shown {
        let path = root().join("assets/screenshots").join(file);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            png_size(&bytes),
            Some((1108, 744)),
            "{file}: a PNG of 120x40 cells as the script makes it"
        );
        let name = file.trim_end_matches(".png");
        assert!(
            script.contains(&format!("shoot {name} ")),
            "scripts/screenshots does not make {file}"
        );
    }
    // No picture is left over that the docs no longer show.
    for entry in std::fs::read_dir(root().join("assets/screenshots")).expect("dir") {
        let file = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        assert!(shown.contains(&file), "{file} is not in docs/app.md");
    }
}
