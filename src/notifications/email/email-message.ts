export type EmailType = 'UserInvite' | 'PasswordReset' | 'TwoFactorAuth';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The link or code the email carries, so a handler that sends it another way has it at hand. */
  link?: string | undefined;
  code?: string | undefined;
}

export interface EmailSender {
  send(emailType: EmailType, message: EmailMessage): Promise<void>;
}
