//! The mail each recipient gets for each event, in English or Bahasa
//! Indonesia: what happened, the complaint's id and status, what happens
//! next and by when. Texts are plain ASCII so every mail client shows them.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::{Complaint, EventType, Role, Status};

/// The language of a mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Id,
}

impl Lang {
    pub fn of(locale: Option<&str>) -> Lang {
        match locale {
            Some(l) if l.eq_ignore_ascii_case("id") || l.to_ascii_lowercase().starts_with("id-") => Lang::Id,
            _ => Lang::En,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Id => "id",
        }
    }
}

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub subject: String,
    pub body: String,
}

impl Letter {
    /// The letter with a link to the complaint's page, above the signature.
    pub fn with_link(self, link: Option<String>, lang: Lang) -> Letter {
        let Some(link) = link else { return self };
        let line = match lang {
            Lang::En => format!("See the complaint and answer it here: {link}"),
            Lang::Id => format!("Lihat dan tanggapi komplain di sini: {link}"),
        };
        let body = match self.body.rsplit_once("\n-- \n") {
            Some((text, sign)) => format!("{text}\n{line}\n\n-- \n{sign}"),
            None => format!("{}\n{line}\n", self.body),
        };
        Letter { body, ..self }
    }
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn money(v: &Value) -> String {
    match (v["amount"].as_i64(), v["currency"].as_str()) {
        (Some(a), Some(c)) => format!("{a} {c} (minor units)"),
        _ => "-".into(),
    }
}

fn status_text(status: Status, lang: Lang) -> &'static str {
    match (status, lang) {
        (Status::AwaitingEvidence, Lang::En) => "waiting for the buyer's evidence",
        (Status::AwaitingEvidence, Lang::Id) => "menunggu bukti dari pembeli",
        (Status::AwaitingSeller, Lang::En) => "waiting for the seller",
        (Status::AwaitingSeller, Lang::Id) => "menunggu penjual",
        (Status::AwaitingBuyer, Lang::En) => "waiting for the buyer",
        (Status::AwaitingBuyer, Lang::Id) => "menunggu pembeli",
        (Status::AwaitingFulfilment, Lang::En) => "the agreed solution is under way",
        (Status::AwaitingFulfilment, Lang::Id) => "solusi yang disepakati sedang berjalan",
        (Status::UnderReview, Lang::En) => "under review by customer care",
        (Status::UnderReview, Lang::Id) => "sedang ditinjau oleh layanan pelanggan",
        (Status::Resolved, Lang::En) => "resolved",
        (Status::Resolved, Lang::Id) => "selesai",
    }
}

/// What happens next, for this recipient, and by when.
fn next_text(c: &Complaint, who: Role, lang: Lang) -> String {
    let deadline = c.deadline.as_ref().map(|d| when(d.at));
    let mine = c.next_actor() == Some(who);
    match (c.status, mine, deadline, lang) {
        (Status::Resolved, _, _, Lang::En) => "Nothing more is needed: the escrowed money is settled as shown.".into(),
        (Status::Resolved, _, _, Lang::Id) => "Tidak ada lagi yang perlu dilakukan: dana rekber diselesaikan seperti di atas.".into(),
        (Status::UnderReview, _, Some(d), Lang::En) => format!("Customer care will decide; their target is {d}."),
        (Status::UnderReview, _, Some(d), Lang::Id) => format!("Layanan pelanggan akan memutuskan; targetnya {d}."),
        (_, true, Some(d), Lang::En) => format!(
            "It is your turn: please respond in the Resolution Center before {d}. If you do not, the default outcome applies."
        ),
        (_, true, Some(d), Lang::Id) => format!(
            "Giliran Anda: mohon tanggapi di Pusat Resolusi sebelum {d}. Jika tidak, keputusan bawaan akan berlaku."
        ),
        (_, false, Some(d), Lang::En) => format!("The other party has until {d} to respond."),
        (_, false, Some(d), Lang::Id) => format!("Pihak lain memiliki waktu hingga {d} untuk menanggapi."),
        (_, _, None, Lang::En) => "No deadline is running.".into(),
        (_, _, None, Lang::Id) => "Tidak ada tenggat waktu yang berjalan.".into(),
    }
}

fn headline(kind: EventType, data: &Value, who: Role, lang: Lang) -> Option<String> {
    let by_other = |role: &str| who.as_str() != role;
    Some(match (kind, lang) {
        (EventType::ComplaintOpened, lang) => {
            // A seller opens only a request for arbitration (`not_released`).
            let by_seller = data["opened_by"].as_str() == Some("seller");
            match (lang, by_seller, who) {
                (Lang::En, false, Role::Seller) => "A buyer opened a complaint about your order.".into(),
                (Lang::En, false, _) => "Your complaint was opened. The money stays in escrow until it is settled.".into(),
                (Lang::En, true, Role::Buyer) => "The seller says the work was delivered and asks customer care to decide on the payment you have not released. You may answer: accept the release, propose another solution, or send evidence.".into(),
                (Lang::En, true, _) => "Your request for arbitration was sent to customer care. The money stays in escrow until it is settled.".into(),
                (Lang::Id, false, Role::Seller) => "Pembeli mengajukan komplain atas pesanan Anda.".into(),
                (Lang::Id, false, _) => "Komplain Anda telah dibuat. Dana tetap ditahan di rekber sampai diselesaikan.".into(),
                (Lang::Id, true, Role::Buyer) => "Penjual menyatakan pekerjaan telah diserahkan dan meminta layanan pelanggan memutuskan dana yang belum Anda cairkan. Anda dapat menanggapi: menyetujui pencairan, mengusulkan solusi lain, atau mengirim bukti.".into(),
                (Lang::Id, true, _) => "Permintaan arbitrase Anda telah dikirim ke layanan pelanggan. Dana tetap ditahan di rekber sampai diselesaikan.".into(),
            }
        }
        (EventType::ProposalMade, lang) => {
            let author = data["proposal"]["author_role"].as_str().unwrap_or_default();
            if !by_other(author) {
                return None;
            }
            let amount = money(&data["proposal"]["refund_amount"]);
            let kind = data["proposal"]["kind"].as_str().unwrap_or_default();
            match lang {
                Lang::En => format!("The {author} proposed a solution: {kind}, refund {amount}."),
                Lang::Id => format!("Pihak {author} mengusulkan solusi: {kind}, pengembalian dana {amount}."),
            }
        }
        (EventType::Agreed, Lang::En) => "Both parties agreed on a solution.".into(),
        (EventType::Agreed, Lang::Id) => "Kedua pihak menyepakati solusi.".into(),
        (EventType::Escalated, lang) => {
            let by = data["by"].as_str().unwrap_or("system");
            let reason = data["reason"].as_str().map(party_words);
            match (lang, by, reason) {
                (Lang::En, "system", _) | (Lang::En, _, None) => {
                    "The complaint was escalated to customer care.".to_string()
                }
                (Lang::Id, "system", _) | (Lang::Id, _, None) => "Komplain diteruskan ke layanan pelanggan.".to_string(),
                (Lang::En, by, Some(r)) => {
                    format!("The {by} escalated the complaint to customer care. The {by} wrote:\n\n  > {r}")
                }
                (Lang::Id, by, Some(r)) => format!(
                    "Pihak {by} meneruskan komplain ke layanan pelanggan. Pihak {by} menulis:\n\n  > {r}"
                ),
            }
        }
        (EventType::Decided, Lang::En) => format!(
            "Customer care decided: {}, refund {}. Reason: {}",
            data["decision"]["outcome"].as_str().unwrap_or_default(),
            money(&data["decision"]["refund_amount"]),
            data["decision"]["rationale"].as_str().unwrap_or_default()
        ),
        (EventType::Decided, Lang::Id) => format!(
            "Layanan pelanggan memutuskan: {}, pengembalian dana {}. Alasan: {}",
            data["decision"]["outcome"].as_str().unwrap_or_default(),
            money(&data["decision"]["refund_amount"]),
            data["decision"]["rationale"].as_str().unwrap_or_default()
        ),
        (EventType::Resolved, Lang::En) => format!(
            "The complaint is resolved: {} refunded to the buyer, {} released to the seller.",
            money(&data["settlement"]["refund_to_buyer"]),
            money(&data["settlement"]["release_to_seller"])
        ),
        (EventType::Resolved, Lang::Id) => format!(
            "Komplain selesai: {} dikembalikan ke pembeli, {} diteruskan ke penjual.",
            money(&data["settlement"]["refund_to_buyer"]),
            money(&data["settlement"]["release_to_seller"])
        ),
        (EventType::SettlementExecuted, Lang::En) => format!(
            "The payment system has paid out the settlement: {} refunded to the buyer{}, {} released to the seller.",
            money(&data["settlement"]["refund_to_buyer"]),
            destination(&data["settlement"]["refund_destination"], Lang::En),
            money(&data["settlement"]["release_to_seller"])
        ),
        (EventType::SettlementExecuted, Lang::Id) => format!(
            "Sistem pembayaran telah mencairkan penyelesaian: {} dikembalikan ke pembeli{}, {} diteruskan ke penjual.",
            money(&data["settlement"]["refund_to_buyer"]),
            destination(&data["settlement"]["refund_destination"], Lang::Id),
            money(&data["settlement"]["release_to_seller"])
        ),
        (EventType::SettlementFailed, Lang::En) => {
            "The payout of the settlement failed. Customer care has been told and will follow it up; nothing is needed from you now.".into()
        }
        (EventType::SettlementFailed, Lang::Id) => {
            "Pencairan penyelesaian gagal. Layanan pelanggan telah diberi tahu dan akan menindaklanjutinya; Anda tidak perlu melakukan apa pun sekarang.".into()
        }
        (EventType::MessagePosted, lang) => {
            let author = data["author_role"].as_str().unwrap_or_default();
            if !by_other(author) {
                return None;
            }
            let body = party_words(data["body"].as_str().unwrap_or_default());
            match (lang, author) {
                (Lang::En, "staff") => format!("Customer care wrote:\n\n  > {body}"),
                (Lang::Id, "staff") => format!("Layanan pelanggan menulis:\n\n  > {body}"),
                (Lang::En, a) => format!("The {a} wrote:\n\n  > {body}"),
                (Lang::Id, a) => format!("Pihak {a} menulis:\n\n  > {body}"),
            }
        }
        (EventType::ProposalRejected, lang) => {
            let by = data["by"].as_str().unwrap_or_default();
            if !by_other(by) {
                return None;
            }
            let note = party_words(data["note"].as_str().unwrap_or_default());
            match lang {
                Lang::En => format!("The {by} rejected the proposal. The {by} wrote:\n\n  > {note}"),
                Lang::Id => format!("Pihak {by} menolak usulan. Pihak {by} menulis:\n\n  > {note}"),
            }
        }
        (EventType::EvidenceRequested, lang) => {
            if data["party"].as_str() != Some(who.as_str()) {
                return None;
            }
            let kinds: Vec<&str> = data["kinds"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            let due = data["due_at"].as_str().and_then(|d| d.parse::<DateTime<Utc>>().ok()).map(when).unwrap_or_default();
            let kinds = kinds.join(", ");
            match lang {
                Lang::En => format!(
                    "Customer care asks you for evidence ({kinds}) by {due}. Upload it in the Resolution Center; without it, customer care decides on what it has."
                ),
                Lang::Id => format!(
                    "Layanan pelanggan meminta bukti dari Anda ({kinds}) sebelum {due}. Unggah di Pusat Resolusi; tanpa bukti itu, layanan pelanggan memutuskan berdasarkan yang ada."
                ),
            }
        }
        (EventType::EvidenceAdded, lang) if who == Role::Staff => {
            let by = data["uploader_role"].as_str().unwrap_or_default();
            let kind = data["kind"].as_str().unwrap_or_default();
            match lang {
                Lang::En => format!("The {by} added evidence: {kind}."),
                Lang::Id => format!("Pihak {by} menambahkan bukti: {kind}."),
            }
        }
        (EventType::EvidenceOverdue, lang) => {
            let mine: Vec<&Value> = data["requests"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["party"].as_str() == Some(who.as_str()))
                .collect();
            let first = mine.first()?;
            let missing: Vec<&str> = first["missing"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            let due = first["due_at"].as_str().and_then(|d| d.parse::<DateTime<Utc>>().ok()).map(when).unwrap_or_default();
            let missing = missing.join(", ");
            match lang {
                Lang::En => format!(
                    "The evidence customer care asked you for ({missing}) was due {due} and has not arrived. You may still upload it; customer care may decide without it."
                ),
                Lang::Id => format!(
                    "Bukti yang diminta layanan pelanggan dari Anda ({missing}) jatuh tempo {due} dan belum diterima. Anda masih dapat mengunggahnya; layanan pelanggan dapat memutuskan tanpa bukti itu."
                ),
            }
        }
        (EventType::EvidenceCompleted, Lang::En) if who == Role::Seller => {
            "The buyer attached the evidence the complaint needs: it is your turn to answer.".into()
        }
        (EventType::EvidenceCompleted, Lang::Id) if who == Role::Seller => {
            "Pembeli telah melampirkan bukti yang diperlukan: giliran Anda menanggapi.".into()
        }
        (EventType::FulfilmentStep, lang) => {
            let action = data["action"].as_str().unwrap_or_default();
            // The one who took the step knows it; the other party hears of it.
            let actor = match action {
                "return_shipped" | "replacement_received" => "buyer",
                _ => "seller",
            };
            if !by_other(actor) {
                return None;
            }
            let tracking = data["tracking_number"].as_str().map(party_words);
            match (lang, action, tracking) {
                (Lang::En, "return_shipped", t) => format!(
                    "The buyer shipped the item back{}. Please confirm when it arrives.",
                    t.map(|t| format!(" (tracking number {t})")).unwrap_or_default()
                ),
                (Lang::Id, "return_shipped", t) => format!(
                    "Pembeli telah mengirim balik barang{}. Mohon konfirmasi saat barang tiba.",
                    t.map(|t| format!(" (nomor resi {t})")).unwrap_or_default()
                ),
                (Lang::En, "replacement_shipped", t) => format!(
                    "The seller sent the replacement{}. Please confirm when you have it.",
                    t.map(|t| format!(" (tracking number {t})")).unwrap_or_default()
                ),
                (Lang::Id, "replacement_shipped", t) => format!(
                    "Penjual telah mengirim pengganti{}. Mohon konfirmasi saat Anda menerimanya.",
                    t.map(|t| format!(" (nomor resi {t})")).unwrap_or_default()
                ),
                (Lang::En, "return_received", _) => "The seller received the returned item.".into(),
                (Lang::Id, "return_received", _) => "Penjual telah menerima barang yang dikembalikan.".into(),
                (Lang::En, _, _) => "The buyer received the replacement.".into(),
                (Lang::Id, _, _) => "Pembeli telah menerima barang pengganti.".into(),
            }
        }
        (EventType::Assigned, Lang::En) if who != Role::Staff => {
            "A customer care agent is now handling your complaint.".into()
        }
        (EventType::Assigned, Lang::Id) if who != Role::Staff => {
            "Seorang petugas layanan pelanggan kini menangani komplain Anda.".into()
        }
        _ => return None,
    })
}

/// Longest party text quoted in a mail, in characters.
const QUOTE_LIMIT: usize = 300;

/// A party's own words as the platform's mail may quote them: one line,
/// control characters gone, cut to `QUOTE_LIMIT` characters.
pub fn party_words(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() || is_bidi_control(c) { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    match flat.char_indices().nth(QUOTE_LIMIT) {
        Some((cut, _)) => format!("{}...", flat[..cut].trim_end()),
        None => flat,
    }
}

/// Unicode's bidirectional controls, which can make text read otherwise than it is.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

fn destination(v: &Value, lang: Lang) -> &'static str {
    match (v.as_str(), lang) {
        (Some("balance"), Lang::En) => " (to their balance)",
        (Some("card"), Lang::En) => " (to their card)",
        (Some("bank"), Lang::En) => " (to their bank account)",
        (Some("balance"), Lang::Id) => " (ke saldo)",
        (Some("card"), Lang::Id) => " (ke kartu)",
        (Some("bank"), Lang::Id) => " (ke rekening bank)",
        _ => "",
    }
}

fn subject_of(kind: Option<EventType>, c: &Complaint, lang: Lang) -> String {
    let what = match (kind, lang) {
        (Some(EventType::ComplaintOpened), Lang::En) => "complaint opened",
        (Some(EventType::ComplaintOpened), Lang::Id) => "komplain dibuat",
        (Some(EventType::ProposalMade), Lang::En) => "new proposal",
        (Some(EventType::ProposalMade), Lang::Id) => "usulan baru",
        (Some(EventType::Agreed), Lang::En) => "solution agreed",
        (Some(EventType::Agreed), Lang::Id) => "solusi disepakati",
        (Some(EventType::Escalated), Lang::En) => "escalated to customer care",
        (Some(EventType::Escalated), Lang::Id) => "diteruskan ke layanan pelanggan",
        (Some(EventType::Decided), Lang::En) => "decision made",
        (Some(EventType::Decided), Lang::Id) => "keputusan dibuat",
        (Some(EventType::Resolved), Lang::En) => "resolved",
        (Some(EventType::Resolved), Lang::Id) => "selesai",
        (Some(EventType::SettlementExecuted), Lang::En) => "money paid out",
        (Some(EventType::SettlementExecuted), Lang::Id) => "dana dicairkan",
        (Some(EventType::SettlementFailed), Lang::En) => "payout failed",
        (Some(EventType::SettlementFailed), Lang::Id) => "pencairan gagal",
        (Some(EventType::MessagePosted), Lang::En) => "new message",
        (Some(EventType::MessagePosted), Lang::Id) => "pesan baru",
        (Some(EventType::ProposalRejected), Lang::En) => "proposal rejected",
        (Some(EventType::ProposalRejected), Lang::Id) => "usulan ditolak",
        (Some(EventType::EvidenceAdded), Lang::En) => "evidence added",
        (Some(EventType::EvidenceAdded), Lang::Id) => "bukti ditambahkan",
        (Some(EventType::EvidenceRequested), Lang::En) => "evidence requested",
        (Some(EventType::EvidenceRequested), Lang::Id) => "bukti diminta",
        (Some(EventType::EvidenceOverdue), Lang::En) => "evidence overdue",
        (Some(EventType::EvidenceOverdue), Lang::Id) => "bukti terlambat",
        (Some(EventType::EvidenceCompleted), Lang::En) => "your answer is due",
        (Some(EventType::EvidenceCompleted), Lang::Id) => "tanggapan Anda ditunggu",
        (Some(EventType::FulfilmentStep), Lang::En) => "solution in progress",
        (Some(EventType::FulfilmentStep), Lang::Id) => "solusi sedang berjalan",
        (Some(EventType::Assigned), Lang::En) => "an agent is handling it",
        (Some(EventType::Assigned), Lang::Id) => "petugas menangani komplain",
        (None, Lang::En) => "reminder: your response is due",
        (None, Lang::Id) => "pengingat: tanggapan Anda ditunggu",
        (_, _) => "update",
    };
    match lang {
        Lang::En => format!("[Resolution Center] Complaint {}: {what}", c.id),
        Lang::Id => format!("[Pusat Resolusi] Komplain {}: {what}", c.id),
    }
}

/// `status` is the complaint's status when the event happened.
fn letter(kind: Option<EventType>, c: &Complaint, at_event: Status, who: Role, lang: Lang, headline: String) -> Letter {
    let (greeting, id, order, status, sign) = match lang {
        Lang::En => ("Hello,", "Complaint", "Order", "Status", "Resolution Center"),
        Lang::Id => ("Halo,", "Komplain", "Pesanan", "Status", "Pusat Resolusi"),
    };
    let body = format!(
        "{greeting}\n\n{headline}\n\n{id}: {}\n{order}: {}\n{status}: {}\n\n{}\n\n-- \n{sign}\n",
        c.id,
        c.order_id,
        status_text(at_event, lang),
        next_text(c, who, lang),
    );
    Letter { subject: subject_of(kind, c, lang), body }
}

/// The mail `who` gets for an outbox event, or `None` when the event is not
/// theirs to hear about. `c` is the complaint as it stands now.
pub fn for_event(kind: EventType, data: &Value, c: &Complaint, who: Role, lang: Lang) -> Option<Letter> {
    for_change(&[(kind, data)], c, who, lang)
}

/// The one mail `who` gets for the events of one change, in order (an
/// agreement that settles at once is one mail), or `None` when none of them
/// is theirs to hear about. The subject names the last event they hear of.
pub fn for_change(events: &[(EventType, &Value)], c: &Complaint, who: Role, lang: Lang) -> Option<Letter> {
    let mut lines = Vec::new();
    let mut last = None;
    for (kind, data) in events {
        if *kind == EventType::ProposalMade
            && c.proposals.first().is_some_and(|p| data["proposal"]["id"].as_str() == Some(p.id.as_str()))
        {
            // The requested solution comes with `complaint.opened`.
            continue;
        }
        if let Some(line) = headline(*kind, data, who, lang) {
            lines.push(line);
            last = Some((*kind, *data));
        }
    }
    let (kind, data) = last?;
    // Events say the status they left the complaint in; older ones do not.
    let status = data["status"].as_str().and_then(|s| s.parse().ok()).unwrap_or(c.status);
    Some(letter(Some(kind), c, status, who, lang, lines.join("\n\n")))
}

/// The reminder to `who`, whose deadline is close.
pub fn reminder(c: &Complaint, who: Role, lang: Lang) -> Letter {
    let line = match lang {
        Lang::En => "A reminder: the complaint is waiting for you.".to_string(),
        Lang::Id => "Pengingat: komplain ini menunggu tanggapan Anda.".to_string(),
    };
    letter(None, c, c.status, who, lang, line)
}

/// The reminder of an evidence request to the party asked.
pub fn evidence_reminder(c: &Complaint, r: &crate::domain::EvidenceRequest, lang: Lang) -> Letter {
    let missing: Vec<&str> = r.kinds.iter().filter(|k| !r.provided.contains(k)).map(|k| k.as_str()).collect();
    let (missing, due) = (missing.join(", "), when(r.due_at));
    let line = match lang {
        Lang::En => format!(
            "A reminder: customer care asked you for evidence ({missing}) by {due}. Upload it in the Resolution Center; without it, customer care decides on what it has."
        ),
        Lang::Id => format!(
            "Pengingat: layanan pelanggan meminta bukti dari Anda ({missing}) sebelum {due}. Unggah di Pusat Resolusi; tanpa bukti itu, layanan pelanggan memutuskan berdasarkan yang ada."
        ),
    };
    let mut letter = letter(None, c, c.status, r.party, lang, line);
    letter.subject = match lang {
        Lang::En => format!("[Resolution Center] Complaint {}: evidence due {due}", c.id),
        Lang::Id => format!("[Pusat Resolusi] Komplain {}: bukti ditunggu sebelum {due}", c.id),
    };
    letter
}

/// The mail for a sanction on the seller.
pub fn sanction(data: &Value, lang: Lang) -> Letter {
    let until = data["suspended_until"].as_str().unwrap_or("-");
    let permanent = data["permanently_closed"].as_bool().unwrap_or(false);
    let (subject, body) = match (lang, permanent) {
        (Lang::En, false) => (
            "[Resolution Center] Your store is suspended".to_string(),
            format!("Hello,\n\nAfter a decision with the seller at fault, your store is suspended until {until}.\n\n-- \nResolution Center\n"),
        ),
        (Lang::En, true) => (
            "[Resolution Center] Your store is closed".to_string(),
            "Hello,\n\nAfter a fourth decision with the seller at fault, your store is permanently closed.\n\n-- \nResolution Center\n".to_string(),
        ),
        (Lang::Id, false) => (
            "[Pusat Resolusi] Toko Anda ditangguhkan".to_string(),
            format!("Halo,\n\nSetelah keputusan yang menyatakan penjual bersalah, toko Anda ditangguhkan hingga {until}.\n\n-- \nPusat Resolusi\n"),
        ),
        (Lang::Id, true) => (
            "[Pusat Resolusi] Toko Anda ditutup".to_string(),
            "Halo,\n\nSetelah keputusan keempat yang menyatakan penjual bersalah, toko Anda ditutup secara permanen.\n\n-- \nPusat Resolusi\n".to_string(),
        ),
    };
    Letter { subject, body }
}

#[cfg(test)]
mod tests {
    use super::party_words;

    #[test]
    fn party_words_are_one_cut_line_without_controls() {
        assert_eq!(party_words("  two\nlines\r\n\there "), "two lines here");
        assert_eq!(party_words("evil\u{202E}txt.exe"), "evil txt.exe");
        let long = party_words(&"é".repeat(1000));
        assert_eq!(long.chars().count(), 303, "300 characters and an ellipsis");
        assert!(long.ends_with("..."));
    }
}
