//! What the console says, in English and Bahasa Indonesia. Every text is a
//! field of [`Texts`], so a page cannot name one that a language lacks, and
//! the compiler checks both languages have each.

/// The console's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Id,
}

impl Lang {
    /// An account's locale (`en` or `id`).
    pub fn of_locale(locale: &str) -> Lang {
        if locale == "id" {
            Lang::Id
        } else {
            Lang::En
        }
    }

    /// The browser's first language the console speaks (RFC 9110
    /// `Accept-Language`, by weight), English when it names none.
    pub fn of_accept_language(header: Option<&str>) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for item in header.unwrap_or("").split(',').take(20) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("id" | "in") => Lang::Id,
                Some("en") => Lang::En,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Id => "id",
        }
    }

    pub fn t(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Id => &ID,
        }
    }

    /// Hours and minutes, short.
    pub fn units(self) -> (&'static str, &'static str) {
        match self {
            Lang::En => ("h", "min"),
            Lang::Id => ("jam", "menit"),
        }
    }

    pub fn days(self) -> &'static str {
        match self {
            Lang::En => "days",
            Lang::Id => "hari",
        }
    }

    pub fn left(self, span: &str) -> String {
        match self {
            Lang::En => format!("{span} left"),
            Lang::Id => format!("sisa {span}"),
        }
    }

    pub fn overdue_by(self, span: &str) -> String {
        match self {
            Lang::En => format!("breached {span} ago"),
            Lang::Id => format!("lewat {span}"),
        }
    }

    pub fn search_heading(self, q: &str) -> String {
        match self {
            Lang::En => format!("Search: {q}"),
            Lang::Id => format!("Pencarian: {q}"),
        }
    }

    /// A wire value (status, reason, kind, outcome…) in this language.
    pub fn label(self, wire: &str) -> &str {
        LABELS.iter().find(|(w, ..)| *w == wire).map_or(wire, |(_, en, id)| if self == Lang::En { en } else { id })
    }
}

/// Every value of the API's enums a page shows, with the decision reason codes.
const LABELS: &[(&str, &str, &str)] = &[
    // Status
    ("awaiting_evidence", "Waiting for the buyer's evidence", "Menunggu bukti pembeli"),
    ("awaiting_seller", "Waiting for the seller", "Menunggu penjual"),
    ("awaiting_buyer", "Waiting for the buyer", "Menunggu pembeli"),
    ("awaiting_fulfilment", "Solution in progress", "Solusi sedang berjalan"),
    ("under_review", "Under review", "Ditinjau"),
    ("resolved", "Resolved", "Selesai"),
    // Reason
    ("not_received", "Not received", "Tidak diterima"),
    ("damaged", "Damaged", "Rusak"),
    ("incomplete", "Incomplete", "Tidak lengkap"),
    ("not_as_described", "Not as described", "Tidak sesuai deskripsi"),
    ("wrong_item", "Wrong item", "Barang salah"),
    ("shipping_cost", "Shipping cost", "Ongkos kirim"),
    ("top_up_shortfall", "Top-up shortfall", "Kekurangan isi ulang"),
    ("not_released", "Hold not released", "Dana tidak dicairkan"),
    ("other", "Other", "Lainnya"),
    // Role
    ("buyer", "Buyer", "Pembeli"),
    ("seller", "Seller", "Penjual"),
    ("staff", "Customer care", "Layanan pelanggan"),
    ("system", "Timer", "Pengatur waktu"),
    // ProposalKind
    ("full_refund", "Full refund", "Pengembalian dana penuh"),
    ("partial_refund", "Partial refund", "Pengembalian dana sebagian"),
    ("return_and_refund", "Return and refund", "Retur dan pengembalian dana"),
    ("replacement", "Replacement", "Penggantian barang"),
    ("release", "Release to the seller", "Teruskan ke penjual"),
    // ProposalStatus
    ("pending", "Pending", "Menunggu"),
    ("accepted", "Accepted", "Diterima"),
    ("rejected", "Rejected", "Ditolak"),
    ("superseded", "Superseded", "Digantikan"),
    // Expiry
    ("escalate", "Goes to customer care", "Diteruskan ke layanan pelanggan"),
    ("accept_seller_proposal", "The seller's offer is accepted", "Tawaran penjual diterima"),
    ("accept_buyer_request", "The buyer's request is accepted", "Permintaan pembeli diterima"),
    ("count_as_received", "Counted as received", "Dianggap diterima"),
    ("none", "Nothing automatic: the decision target", "Tidak ada tindakan otomatis: target keputusan"),
    ("lapse", "The complaint lapses; the money goes to the seller", "Komplain gugur; dana diteruskan ke penjual"),
    ("refund_seller_at_fault", "Refund, the seller at fault", "Dana dikembalikan, penjual bersalah"),
    // ResolvedBy
    ("agreement", "Agreement", "Kesepakatan"),
    ("decision", "Decision", "Keputusan"),
    ("withdrawal", "Withdrawal", "Pembatalan"),
    ("timer", "A deadline passed", "Batas waktu lewat"),
    ("lapsed", "Lapsed without evidence", "Gugur tanpa bukti"),
    // Outcome
    ("refund", "Refund the buyer", "Kembalikan dana ke pembeli"),
    ("split", "Split", "Bagi dua"),
    // OrderStatus
    ("paid", "Paid, held", "Dibayar, ditahan"),
    ("shipped", "Shipped, held", "Dikirim, ditahan"),
    ("delivered", "Delivered, held", "Diterima, ditahan"),
    ("completed", "Completed", "Selesai"),
    ("cancelled", "Cancelled", "Dibatalkan"),
    // SettlementState
    ("executed", "Paid out", "Sudah dibayarkan"),
    ("failed", "Payment failed", "Pembayaran gagal"),
    // EvidenceKind
    ("photo", "Photo", "Foto"),
    ("video", "Video", "Video"),
    ("receipt", "Receipt", "Bukti pembayaran"),
    ("shipping_label", "Shipping label", "Label pengiriman"),
    ("packaging", "Packaging", "Kemasan"),
    ("screenshot", "Screenshot", "Tangkapan layar"),
    ("screen_recording", "Screen recording", "Rekaman layar"),
    ("document", "Document", "Dokumen"),
    // Timeline entries
    ("opened", "Complaint opened", "Komplain dibuka"),
    ("evidence_added", "Evidence added", "Bukti ditambahkan"),
    ("evidence_requested", "Evidence requested", "Bukti diminta"),
    ("evidence_overdue", "Evidence overdue", "Bukti terlambat"),
    ("evidence_completed", "The buyer's evidence is complete", "Bukti pembeli lengkap"),
    ("message", "Message", "Pesan"),
    ("proposal_made", "Proposal", "Usulan"),
    ("proposal_superseded", "Proposal superseded", "Usulan digantikan"),
    ("proposal_accepted", "Proposal accepted", "Usulan diterima"),
    ("proposal_rejected", "Proposal rejected", "Usulan ditolak"),
    ("consensus", "Agreement reached", "Kesepakatan tercapai"),
    ("fulfilment_step", "Fulfilment step", "Langkah penyelesaian"),
    ("escalated", "Escalated to customer care", "Diteruskan ke layanan pelanggan"),
    ("assigned", "Assigned", "Ditugaskan"),
    ("unassigned", "Unassigned", "Tidak lagi ditugaskan"),
    ("decided", "Decision", "Keputusan"),
    ("deadline_passed", "Deadline passed", "Batas waktu lewat"),
    ("withdrawn", "Withdrawn by the buyer", "Dibatalkan pembeli"),
    // FulfilmentAction
    ("return_shipped", "Return shipped", "Retur dikirim"),
    ("return_received", "Return received", "Retur diterima"),
    ("replacement_shipped", "Replacement shipped", "Pengganti dikirim"),
    ("replacement_received", "Replacement received", "Pengganti diterima"),
    // Decision reason codes
    ("item_not_received", "Item not received", "Barang tidak diterima"),
    ("item_damaged", "Item damaged", "Barang rusak"),
    ("item_not_as_described", "Item not as described", "Barang tidak sesuai deskripsi"),
    ("item_incomplete", "Item incomplete", "Barang tidak lengkap"),
    ("return_not_received", "Return not received", "Retur tidak diterima"),
    ("seller_unresponsive", "Seller did not respond", "Penjual tidak merespons"),
    ("buyer_unresponsive", "Buyer did not respond", "Pembeli tidak merespons"),
    ("insufficient_evidence", "Insufficient evidence", "Bukti tidak cukup"),
    ("delivered_as_described", "Delivered as described", "Dikirim sesuai deskripsi"),
    ("shared_responsibility", "Shared responsibility", "Tanggung jawab bersama"),
    ("shortfall_not_proved", "Top-up not proved in time", "Isi ulang tidak dibuktikan tepat waktu"),
];

macro_rules! texts {
    ($($key:ident: $en:literal, $id:literal;)*) => {
        /// One language's texts.
        pub struct Texts { $(pub $key: &'static str,)* }
        static EN: Texts = Texts { $($key: $en,)* };
        static ID: Texts = Texts { $($key: $id,)* };
    };
}

texts! {
    actions: "Actions", "Tindakan";
    age: "Age", "Umur";
    assign: "Assign", "Tugaskan";
    assign_to: "Assign to", "Tugaskan ke";
    unassign: "Unassign", "Lepas penugasan";
    unassigned_done: "Nobody has the case now.", "Kasus ini kini tidak ditugaskan ke siapa pun.";
    assignee: "Assignee", "Petugas";
    back_to_case: "Back to complaint", "Kembali ke komplain";
    back_to_queue: "Back to the queue", "Kembali ke antrean";
    buyer: "Buyer", "Pembeli";
    buyer_offer: "Buyer's last offer", "Tawaran terakhir pembeli";
    case_facts: "Case facts", "Fakta kasus";
    change: "Change", "Ubah";
    choose: "Choose…", "Pilih…";
    close: "Close", "Tutup";
    complaint: "Complaint", "Komplain";
    confirm_decision: "Confirm decision", "Konfirmasi keputusan";
    confirm_title: "Confirm the decision", "Konfirmasi keputusan";
    deadline: "Running deadline", "Batas waktu berjalan";
    decide: "Decide", "Putuskan";
    decision_due: "Decision due", "Batas keputusan";
    decision_title: "Decision", "Keputusan";
    disputed: "Disputed", "Disengketakan";
    due_by: "Due by", "Paling lambat";
    empty_view: "No complaint in this view.", "Tidak ada komplain di tampilan ini.";
    escrow: "Escrow", "Dana ditahan";
    evidence: "Evidence", "Bukti";
    evidence_relied_on: "Evidence relied on", "Bukti yang digunakan";
    final_warning: "The decision is binding and moves the held money. It cannot be undone.", "Keputusan ini mengikat dan memindahkan dana yang ditahan. Tidak dapat dibatalkan.";
    from_party: "From", "Dari";
    held: "Held", "Ditahan";
    internal: "Internal", "Internal";
    internal_note: "Internal note (staff only)", "Catatan internal (hanya staf)";
    key_decide: "open the decision form", "buka formulir keputusan";
    key_help: "show these keys", "tampilkan daftar tombol ini";
    key_move: "move down / up the queue", "turun / naik di antrean";
    key_note: "write a note", "tulis catatan";
    key_open: "open the complaint", "buka komplain";
    key_take: "take the complaint", "ambil komplain";
    keys_hint: "Press ? for keyboard shortcuts.", "Tekan ? untuk pintasan papan ketik.";
    keys_title: "Keyboard shortcuts", "Pintasan papan ketik";
    kinds: "Kinds of evidence", "Jenis bukti";
    later_entries: "Later entries", "Entri berikutnya";
    mediation: "Propose a solution (mediation)", "Usulkan solusi (mediasi)";
    message_to_parties: "Message to both parties", "Pesan untuk kedua pihak";
    next_case: "Next case", "Kasus berikutnya";
    next_page: "Next page", "Halaman berikutnya";
    no: "No", "Tidak";
    no_evidence: "No evidence yet.", "Belum ada bukti.";
    no_offer: "No offer.", "Tidak ada tawaran.";
    no_payment_problems: "No failed or overdue settlement.", "Tidak ada penyelesaian dana yang gagal atau terlambat.";
    none: "None", "Tidak ada";
    note_to_parties: "Note to the parties", "Catatan untuk para pihak";
    note_to_party: "Note to the party", "Catatan untuk pihak tersebut";
    offers: "Offers", "Tawaran";
    opened_by: "Opened by", "Dibuka oleh";
    order: "Order", "Pesanan";
    hold: "Escrow hold", "Termin dana";
    outcome: "Outcome", "Hasil";
    password: "Password", "Kata sandi";
    payments_caption: "Settlements the payment system failed or has not reported", "Penyelesaian dana yang gagal atau belum dilaporkan sistem pembayaran";
    post: "Post", "Kirim";
    propose: "Propose", "Usulkan";
    queue_caption: "Complaints under review, the nearest decision target first", "Komplain yang ditinjau, target keputusan terdekat lebih dulu";
    queue_title: "Arbitration queue", "Antrean arbitrase";
    queue_views: "Queue views", "Tampilan antrean";
    rationale: "Rationale", "Alasan";
    rationale_for_parties: "Rationale (the parties will read it)", "Alasan (akan dibaca para pihak)";
    reason: "Reason", "Alasan komplain";
    reason_code: "Reason code", "Kode alasan";
    refund_for_split: "Refund to the buyer, for a split", "Pengembalian dana ke pembeli, untuk bagi dua";
    refund_to_buyer: "Refund to buyer", "Dana ke pembeli";
    release_to_seller: "Release to seller", "Dana ke penjual";
    request_evidence: "Request evidence", "Minta bukti";
    resolved_at: "Resolved", "Diselesaikan";
    review_decision: "Review decision", "Tinjau keputusan";
    search: "Search", "Cari";
    search_label: "Search by complaint, order, buyer or seller id", "Cari berdasarkan id komplain, pesanan, pembeli atau penjual";
    seller: "Seller", "Penjual";
    seller_at_fault: "Seller at fault", "Penjual bersalah";
    seller_offer: "Seller's last offer", "Tawaran terakhir penjual";
    seller_standing: "Seller's standing", "Status penjual";
    send_request: "Send request", "Kirim permintaan";
    settlement: "Settlement", "Penyelesaian dana";
    sign_in: "Sign in", "Masuk";
    sign_in_title: "Sign in to customer care", "Masuk ke layanan pelanggan";
    sign_out: "Sign out", "Keluar";
    skip_to_content: "Skip to content", "Langsung ke konten";
    solution: "Solution", "Solusi";
    staff_id: "Staff id", "Id staf";
    take: "Take", "Ambil";
    then: "Then", "Lalu";
    timeline: "Timeline", "Riwayat";
    under_review: "Under review", "Ditinjau";
    waits_on: "Waits on", "Menunggu";
    who_reads_it: "Who reads it", "Siapa yang membaca";
    write: "Note or message", "Catatan atau pesan";
    yes: "Yes", "Ya";
    // Said by the handlers.
    view_unassigned: "Unassigned", "Belum ditugaskan";
    view_mine: "Mine", "Milik saya";
    view_soon: "Breaching soon", "Segera melewati batas";
    view_all: "All", "Semua";
    view_payments: "Payment problems", "Masalah pembayaran";
    wrong_password: "Wrong staff id or password.", "Id staf atau kata sandi salah.";
    form_expired: "The form had expired. Try again.", "Formulir sudah kedaluwarsa. Coba lagi.";
    too_many: "Too many failed sign-ins. Wait a little, then try again.", "Terlalu banyak percobaan masuk yang gagal. Tunggu sebentar, lalu coba lagi.";
    no_next_case: "No unassigned case is waiting.", "Tidak ada kasus yang belum ditugaskan.";
    taken: "The case is yours.", "Kasus ini sekarang milik Anda.";
    lost_race: "Someone acted on this case first; here is where it stands now. Nothing you sent was recorded.", "Orang lain bertindak lebih dulu pada kasus ini; inilah keadaannya sekarang. Kiriman Anda tidak dicatat.";
    decided: "Decided. The settlement is on its way to the payment system.", "Sudah diputuskan. Penyelesaian dana diteruskan ke sistem pembayaran.";
    posted: "Posted.", "Terkirim.";
    requested: "Evidence requested.", "Bukti sudah diminta.";
    proposed: "Proposal sent to both parties.", "Usulan dikirim ke kedua pihak.";
    assigned: "Assigned.", "Sudah ditugaskan.";
    not_allowed: "This is not open to you on this complaint now.", "Tindakan ini tidak tersedia untuk Anda pada komplain ini sekarang.";
    not_found_title: "Not found", "Tidak ditemukan";
    not_found: "There is no such complaint.", "Komplain tersebut tidak ada.";
    party_agent: "You are a party of this complaint, so you do not arbitrate it.", "Anda adalah pihak dalam komplain ini, jadi Anda tidak menengahinya.";
    in_flight: "This form is already being recorded.", "Formulir ini sedang dicatat.";
    bad_amount: "Type the amount in the currency's units, like 1500.50.", "Tulis jumlah dalam satuan mata uang, misalnya 1.500,50.";
    payout_buyer: "Buyer gets", "Pembeli menerima";
    payout_seller: "Seller gets", "Penjual menerima";
    standing_clean: "No violation.", "Tidak ada pelanggaran.";
    violations: "Violations", "Pelanggaran";
    suspended_until: "suspended until", "ditangguhkan sampai";
    closed_for_good: "store closed for good", "toko ditutup permanen";
    not_yet: "Not yet (resolves with the complaint)", "Belum (bersama penyelesaian komplain)";
    unassigned: "Unassigned", "Belum ditugaskan";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        EvidenceKind, Expiry, FulfilmentAction, OrderStatus, Outcome, ProposalKind, ProposalStatus, Reason, ResolvedBy,
        Role, SettlementState, Status, DECISION_REASON_CODES,
    };

    #[test]
    fn every_value_a_page_shows_has_both_languages() {
        let mut wire: Vec<&str> = Vec::new();
        wire.extend(Status::ALL.iter().map(|v| v.as_str()));
        wire.extend(Reason::ALL.iter().map(|v| v.as_str()));
        wire.extend(Role::ALL.iter().map(|v| v.as_str()));
        wire.extend(ProposalKind::ALL.iter().map(|v| v.as_str()));
        wire.extend(ProposalStatus::ALL.iter().map(|v| v.as_str()));
        wire.extend(Expiry::ALL.iter().map(|v| v.as_str()));
        wire.extend(Outcome::ALL.iter().map(|v| v.as_str()));
        wire.extend(OrderStatus::ALL.iter().map(|v| v.as_str()));
        wire.extend(SettlementState::ALL.iter().map(|v| v.as_str()));
        wire.extend(EvidenceKind::ALL.iter().map(|v| v.as_str()));
        wire.extend(FulfilmentAction::ALL.iter().map(|v| v.as_str()));
        wire.extend(ResolvedBy::ALL.iter().map(|v| v.as_str()));
        wire.extend(DECISION_REASON_CODES.iter().map(|(code, _)| *code));
        for w in wire {
            assert_ne!(Lang::Id.label(w), w, "{w} has no Indonesian label");
            assert_ne!(Lang::En.label(w), w, "{w} has no English label");
        }
    }

    #[test]
    fn the_browser_language_counts_by_weight() {
        assert_eq!(Lang::of_accept_language(Some("id-ID,id;q=0.9,en;q=0.8")), Lang::Id);
        assert_eq!(Lang::of_accept_language(Some("fr, en;q=0.5, id;q=0.4")), Lang::En);
        assert_eq!(Lang::of_accept_language(Some("en;q=0.2, id;q=0.7")), Lang::Id);
        assert_eq!(Lang::of_accept_language(Some("fr")), Lang::En);
        assert_eq!(Lang::of_accept_language(None), Lang::En);
    }
}
