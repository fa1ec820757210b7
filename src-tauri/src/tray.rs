//! The tray icon and its menu (tray-icon and muda, as Tauri uses them), run on the tao event
//! loop of the main thread; everything else reaches them through [`TrayEvent`]s.

use tray_icon::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tray_icon::{Icon, TrayIcon, TrayIconBuilder};

/// What the event loop is told: a menu click, a new status line, or to quit.
#[derive(Debug)]
pub enum TrayEvent {
    /// A menu item was clicked (its id: [`OPEN`], [`COPY`], [`QUIT`]).
    Menu(String),
    /// The status line changed.
    Status(String),
    /// Quit (the menu, SIGTERM, Ctrl-C).
    Quit,
}

/// Menu item ids.
pub const OPEN: &str = "open";
pub const COPY: &str = "copy";
pub const QUIT: &str = "quit";

/// The icon in the tray, kept alive with the item whose text follows the status.
pub struct Tray {
    status: MenuItem,
    _icon: TrayIcon,
}

impl Tray {
    /// Builds the icon and its menu; clicks go to `on_menu` (from the GUI thread).
    pub fn build(on_menu: impl Fn(String) + Send + Sync + 'static) -> Result<Tray, String> {
        let open = MenuItem::with_id(OPEN, "Open window", true, None);
        let status = MenuItem::with_id("status", "Server: starting…", false, None);
        let copy = MenuItem::with_id(COPY, "Copy client config", true, None);
        let quit = MenuItem::with_id(QUIT, "Quit", true, None);
        let menu = Menu::with_items(&[&open, &status, &copy, &PredefinedMenuItem::separator(), &quit])
            .map_err(|e| format!("tray menu: {e}"))?;
        MenuEvent::set_event_handler(Some(move |e: MenuEvent| on_menu(e.id().0.clone())));
        let icon = TrayIconBuilder::new()
            .with_id("main-tray")
            .with_icon(icon()?)
            .with_tooltip("fast-mcp-telegram")
            .with_menu(Box::new(menu))
            .with_menu_on_left_click(true)
            .build()
            .map_err(|e| format!("tray icon: {e}"))?;
        Ok(Tray { status, _icon: icon })
    }

    /// Shows `line` as the status item's text (when it differs).
    pub fn set_status(&self, line: &str) {
        if self.status.text() != line {
            self.status.set_text(line);
        }
    }
}

/// The app icon (64×64 PNG, embedded) as RGBA.
fn icon() -> Result<Icon, String> {
    let decoder = png::Decoder::new(std::io::Cursor::new(&include_bytes!("../icons/64x64.png")[..]));
    let mut reader = decoder.read_info().map_err(|e| format!("icon: {e}"))?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or("icon: too large")?];
    let info = reader.next_frame(&mut buf).map_err(|e| format!("icon: {e}"))?;
    if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
        return Err(format!("icon: RGBA 8-bit expected, not {:?} {:?}", info.color_type, info.bit_depth));
    }
    buf.truncate(info.buffer_size());
    Icon::from_rgba(buf, info.width, info.height).map_err(|e| format!("icon: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_embedded_icon_decodes() {
        super::icon().unwrap();
    }
}
