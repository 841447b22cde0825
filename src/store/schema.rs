//! One schema for both backends: ids are text, times UTC `TIMESTAMP`, money
//! BIGINT minor units, structured values JSON text.

diesel::table! {
    orders (id) {
        id -> Text,
        buyer_id -> Text,
        seller_id -> Text,
        amount -> BigInt,
        currency -> Text,
        status -> Text,
        delivered_at -> Nullable<Timestamp>,
        auto_release_at -> Nullable<Timestamp>,
        contacts -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        digital -> Bool,
    }
}

diesel::table! {
    holds (order_id, id) {
        order_id -> Text,
        id -> Text,
        amount -> BigInt,
        status -> Text,
        delivered_at -> Nullable<Timestamp>,
        auto_release_at -> Nullable<Timestamp>,
        description -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    complaints (id) {
        id -> Text,
        order_id -> Text,
        buyer_id -> Text,
        seller_id -> Text,
        reason -> Text,
        description -> Text,
        currency -> Text,
        held_amount -> BigInt,
        disputed_amount -> BigInt,
        status -> Text,
        deadline_at -> Nullable<Timestamp>,
        deadline_on_expiry -> Nullable<Text>,
        pending_proposal_id -> Nullable<Text>,
        fulfilment -> Nullable<Text>,
        seller_answered -> Bool,
        assignee_id -> Nullable<Text>,
        escalated_at -> Nullable<Timestamp>,
        version -> BigInt,
        opened_at -> Timestamp,
        updated_at -> Timestamp,
        evidence_requests -> Text,
        timeline_seq -> BigInt,
        evidence_checklist -> Text,
        hold_id -> Text,
        opened_by -> Text,
        digital -> Bool,
        evidence_due_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    proposals (id) {
        id -> Text,
        complaint_id -> Text,
        author_id -> Text,
        author_role -> Text,
        kind -> Text,
        refund_amount -> BigInt,
        note -> Nullable<Text>,
        status -> Text,
        required -> Text,
        accepted_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    timeline (complaint_id, seq) {
        complaint_id -> Text,
        seq -> BigInt,
        kind -> Text,
        actor_id -> Nullable<Text>,
        actor_role -> Text,
        visibility -> Text,
        data -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    decisions (id) {
        id -> Text,
        complaint_id -> Text,
        staff_id -> Text,
        outcome -> Text,
        refund_amount -> BigInt,
        seller_at_fault -> Bool,
        reason_code -> Text,
        evidence_ids -> Text,
        rationale -> Text,
        decided_at -> Timestamp,
    }
}

diesel::table! {
    settlements (complaint_id) {
        complaint_id -> Text,
        resolved_by -> Text,
        currency -> Text,
        held_amount -> BigInt,
        refund_to_buyer -> BigInt,
        release_to_seller -> BigInt,
        event_id -> Text,
        resolved_at -> Timestamp,
        order_id -> Text,
        state -> Text,
        payment_reference -> Nullable<Text>,
        refund_destination -> Nullable<Text>,
        failure_reason -> Nullable<Text>,
        reported_at -> Nullable<Timestamp>,
        hold_id -> Text,
    }
}

diesel::table! {
    violations (id) {
        id -> Text,
        seller_id -> Text,
        decision_id -> Nullable<Text>,
        complaint_id -> Nullable<Text>,
        ordinal -> Integer,
        suspended_until -> Nullable<Timestamp>,
        permanent -> Bool,
        created_at -> Timestamp,
        notice_id -> Nullable<Text>,
    }
}

diesel::table! {
    listing_notices (id) {
        id -> Text,
        seller_id -> Text,
        listing_id -> Text,
        description -> Text,
        filed_by -> Text,
        filed_by_role -> Text,
        status -> Text,
        explanation -> Nullable<Text>,
        due_at -> Timestamp,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    evidence (id) {
        id -> Text,
        complaint_id -> Text,
        uploader_id -> Text,
        uploader_role -> Text,
        kind -> Text,
        media_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Nullable<Text>,
        file_name -> Nullable<Text>,
        object_key -> Text,
        status -> Text,
        created_at -> Timestamp,
        description -> Nullable<Text>,
        upload_expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox (seq) {
        seq -> BigInt,
        txid -> BigInt,
        id -> Text,
        kind -> Text,
        complaint_id -> Nullable<Text>,
        data -> Text,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (caller, key) {
        caller -> Text,
        key -> Text,
        fingerprint -> Text,
        status -> Nullable<Integer>,
        response -> Nullable<Text>,
        created_at -> Timestamp,
        complaint_id -> Nullable<Text>,
        evidence_id -> Nullable<Text>,
    }
}

diesel::table! {
    outbox_cursors (name) {
        name -> Text,
        txid -> BigInt,
        seq -> BigInt,
    }
}

diesel::table! {
    webhook_deliveries (event_id) {
        event_id -> Text,
        payload -> Text,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        given_up_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_attempts (event_id, attempt) {
        event_id -> Text,
        attempt -> Integer,
        at -> Timestamp,
        status -> Nullable<Integer>,
        error -> Nullable<Text>,
        duration_ms -> BigInt,
    }
}

diesel::table! {
    mail_deliveries (id) {
        id -> Text,
        event_id -> Nullable<Text>,
        complaint_id -> Nullable<Text>,
        recipient_role -> Text,
        address -> Text,
        locale -> Text,
        subject -> Text,
        body -> Text,
        reminder_for -> Nullable<Timestamp>,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        given_up_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        collapse_key -> Nullable<Text>,
        reminder_request -> Nullable<Text>,
    }
}

diesel::table! {
    staff_accounts (id) {
        id -> Text,
        name -> Text,
        email -> Nullable<Text>,
        locale -> Text,
        password_hash -> Text,
        disabled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        time_zone -> Text,
    }
}

diesel::table! {
    staff_sessions (token_hash) {
        token_hash -> Text,
        staff_id -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    staff_sign_in_failures (key, at) {
        key -> Text,
        at -> Timestamp,
    }
}

diesel::joinable!(complaints -> orders (order_id));
diesel::joinable!(proposals -> complaints (complaint_id));
diesel::joinable!(timeline -> complaints (complaint_id));
diesel::joinable!(settlements -> complaints (complaint_id));
diesel::joinable!(staff_sessions -> staff_accounts (staff_id));
diesel::allow_tables_to_appear_in_same_query!(
    orders,
    holds,
    complaints,
    proposals,
    timeline,
    decisions,
    settlements,
    violations,
    evidence,
    outbox,
    idempotency_keys,
    outbox_cursors,
    webhook_deliveries,
    webhook_attempts,
    mail_deliveries,
    staff_accounts,
    staff_sessions,
    staff_sign_in_failures,
    listing_notices
);
