//! Server-rendered pages for citizens and printable material: the answer page, its
//! thank-you and error pages, QR codes and posters, the conference room's ballot and
//! projector pages, and the public notice board. No build step, no external assets.

pub mod conference_room;
pub mod feedback;
pub mod html;
pub mod notice_board;
pub mod notice_document;
pub mod page_gzip;
pub mod pages;
pub mod poster;
pub mod qr;
pub mod report;
pub mod texts;
