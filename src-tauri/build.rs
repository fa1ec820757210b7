//! Build script: generates the Tauri context (tauri.conf.json, icons, the embedded `ui/`).

fn main() {
    tauri_build::build()
}
