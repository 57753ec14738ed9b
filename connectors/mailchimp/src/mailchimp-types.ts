/** The parts of Mailchimp's responses this connector reads (see the Marketing API 3.0 spec). */

export interface MailchimpMember {
  id: string;
  email_address?: string;
  status: string;
  last_changed: string;
  tags?: { id: number; name: string }[];
  [field: string]: unknown;
}

export interface MemberPage {
  members: MailchimpMember[];
  total_items: number;
}

export interface BatchError {
  email_address: string;
  error: string;
  error_code: 'ERROR_CONTACT_EXISTS' | 'ERROR_GENERIC' | string;
  field?: string;
  field_message?: string;
}

export interface BatchResponse {
  new_members: MailchimpMember[];
  updated_members: MailchimpMember[];
  errors: BatchError[];
}

export interface MergeField {
  tag: string;
  name: string;
  type: string;
}

export interface MailchimpList {
  id: string;
  name: string;
  double_optin?: boolean;
  stats?: { member_count?: number };
}

export interface Campaign {
  id: string;
  send_time?: string;
}

export interface EmailActivity {
  email_id?: string;
  email_address: string;
  list_id?: string;
  activity?: { action: string; timestamp: string }[];
}
