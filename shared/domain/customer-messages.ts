import { formatDecimal, formatMoney, minorUnitExponent } from './money.ts';
import type { NotificationContext, NotificationTemplate } from './notification.ts';

/**
 * Customer e-mails: one HTML part and one plain-text part per message type
 * and locale, rendered from the same blocks so both say the same thing.
 * Templates are code (typed, pure, tested), not files for a template engine:
 * every interpolated value goes through one escaping function, and the HTML
 * uses inline styles only and no remote images (mail clients strip <style>
 * and block images by default).
 */

/** Locales that have their own wording; any other falls back (see resolveLocale). */
export const supportedLocales = ['en', 'de', 'fr'] as const;
export type SupportedLocale = (typeof supportedLocales)[number];

/** A BCP 47 language tag as channels send it (`de`, `de-DE`, `fr_CA`, `en-US-posix`). */
export const LOCALE_PATTERN = /^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$/;

export function isLocale(value: string): boolean {
  return value.length <= 35 && LOCALE_PATTERN.test(value);
}

/**
 * The locale a message is written in: the first of the candidates (the
 * order's locale, then the merchant's default) whose language has wording,
 * else `en`. `fellBack` is true when the first candidate given was not used.
 */
export function resolveLocale(...candidates: (string | undefined)[]): { locale: SupportedLocale; fellBack: boolean } {
  const given = candidates.filter((c): c is string => typeof c === 'string' && c.length > 0);
  for (const [index, candidate] of given.entries()) {
    const language = isLocale(candidate) ? candidate.split(/[-_]/)[0]?.toLowerCase() : undefined;
    const found = supportedLocales.find((l) => l === language);
    if (found) return { locale: found, fellBack: index > 0 };
  }
  return { locale: 'en', fellBack: given.length > 0 };
}

/** The part of an order a message needs (an Order fits). */
export interface MessageOrder {
  orderId: string;
  channel: { channelId: string; externalNumber?: string | undefined };
  customer: { name?: string | undefined };
  lines: readonly { sku: string; title: string; quantity: number }[];
  fulfillment: { type: string };
}

export interface Sender {
  /** The merchant's name (SELLER_NAME). */
  sellerName: string;
  /** Where customers write with questions (SUPPORT_EMAIL), if the merchant set one. */
  supportEmail?: string | undefined;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
  locale: SupportedLocale;
}

type Block =
  | { kind: 'p'; text: string }
  | { kind: 'items'; items: { quantity: number; title: string; note?: string | undefined }[] }
  | { kind: 'link'; label: string; url: string }
  | { kind: 'lines'; lines: string[] };

interface Message {
  subject: string;
  blocks: Block[];
}

/** What a template has to work with, with the formatting of its locale. */
interface View {
  ref: string;
  order: MessageOrder;
  context: NotificationContext;
  title: (sku: string) => string;
  money: (amount: number, currency: string) => string;
  date: (iso: string) => string;
  /** The tracking block of a parcel: a link to the carrier's page, else the number. */
  tracking: () => Block[];
}

interface Wording {
  /** How a label is joined to its value in the text part (French puts a space before the colon). */
  colon: string;
  hello: (firstName: string | undefined) => string;
  trackParcel: string;
  trackingNumber: (carrier: string | undefined, number: string) => string;
  expectedBy: (date: string) => string;
  questions: (support: string) => string;
  sentBy: (seller: string) => string;
  condition: Record<string, string>;
  templates: Record<NotificationTemplate, (v: View) => Message>;
}

const p = (text: string): Block => ({ kind: 'p', text });
const items = (v: View, lines: readonly { sku: string; quantity: number }[] | undefined): Block => ({
  kind: 'items',
  items: (lines ?? []).map((l) => ({ quantity: l.quantity, title: v.title(l.sku) })),
});
const expected = (v: View, w: (date: string) => string): Block[] => (v.context.estimatedDelivery ? [p(w(v.date(v.context.estimatedDelivery)))] : []);
const returnLabel = (v: View, label: string): Block[] => {
  const url = v.context.labelUrl ?? v.context.trackingUrl;
  return url ? [{ kind: 'link', label, url }] : [];
};

const en: Wording = {
  colon: ': ',
  hello: (name) => (name ? `Hello ${name},` : 'Hello,'),
  trackParcel: 'Track your parcel',
  trackingNumber: (carrier, number) => `Tracking number${carrier ? ` (${carrier})` : ''}: ${number}`,
  expectedBy: (date) => `Expected by ${date}.`,
  questions: (support) => `Questions? Write to us at ${support}.`,
  sentBy: (seller) => `Sent by ${seller} about your order.`,
  condition: { resellable: 'as new', damaged: 'damaged', missing: 'missing' },
  templates: {
    order_confirmed: (v) => ({
      subject: `Order ${v.ref} confirmed`,
      blocks: [p(`Thank you for your order ${v.ref}. We are preparing it:`), items(v, v.order.lines), p('We will write again when it ships.')],
    }),
    backordered: (v) => ({
      subject: `Order ${v.ref}: some items are on backorder`,
      blocks: [p(`Some items of order ${v.ref} are not in stock right now:`), items(v, v.context.shortages), p('We will ship them as soon as they arrive.')],
    }),
    shipped: (v) => ({
      subject: `Order ${v.ref} has shipped`,
      blocks: [p(`A parcel of order ${v.ref} is on its way:`), items(v, v.context.lines), ...v.tracking(), ...expected(v, en.expectedBy)],
    }),
    out_for_delivery: (v) => ({
      subject: `Order ${v.ref} is out for delivery`,
      blocks: [p(`Your parcel of order ${v.ref} is out for delivery today.`), ...v.tracking()],
    }),
    delivered: (v) =>
      v.order.fulfillment.type !== 'ship'
        ? { subject: `Order ${v.ref} collected`, blocks: [p(`You collected order ${v.ref} at the store. Thank you!`)] }
        : { subject: `Order ${v.ref} was delivered`, blocks: [p(`Your parcel of order ${v.ref} was delivered. We hope you enjoy it.`), ...v.tracking()] },
    cancelled: (v) => ({
      subject: `Order ${v.ref} was cancelled`,
      blocks: [p(`Order ${v.ref} was cancelled${v.context.reason ? `: ${v.context.reason}` : ''}. You have not been charged for anything that did not ship.`)],
    }),
    refund_issued: (v) => {
      const amount = v.context.amount !== undefined && v.context.currency ? v.money(v.context.amount, v.context.currency) : 'your refund';
      const how =
        v.context.refundStatus === 'to_refund_at_channel'
          ? `Your refund of ${amount} will be paid back through ${v.order.channel.channelId}, where you paid.`
          : v.context.refundStatus === 'to_refund_manually'
            ? `We will pay back your refund of ${amount} ourselves; we will contact you about how.`
            : v.context.refundStatus === 'store_credit'
              ? `We issued ${amount} of store credit instead of a refund. Your code: ${v.context.storeCreditCode ?? ''}`
              : `We refunded ${amount} to your payment method; depending on your bank it shows within a few days.`;
      return { subject: `Order ${v.ref}: refund of ${amount}`, blocks: [p(how), ...(v.context.reason ? [p(`Reason: ${v.context.reason}`)] : [])] };
    },
    exchange_shipped: (v) => {
      const c = v.context;
      const what = c.claimId
        ? `the replacement for the items of order ${c.originalOrder ?? ''} that did not reach you in one piece`
        : `your exchange for return ${c.returnId ?? ''} of order ${c.originalOrder ?? ''}`;
      return {
        subject: c.claimId ? `Your replacement for order ${c.originalOrder ?? ''} has shipped` : `Your exchange for return ${c.returnId ?? ''} has shipped`,
        blocks: [p(`We shipped ${what} (order ${v.ref}):`), items(v, c.lines), ...v.tracking(), ...expected(v, en.expectedBy)],
      };
    },
    return_approved: (v) => {
      const c = v.context;
      return {
        subject: `Return ${c.returnId ?? ''} for order ${v.ref} approved: your label`,
        blocks: [
          p(`Your return ${c.returnId ?? ''} of order ${v.ref} is approved:`),
          items(v, c.lines),
          p(`Return label: ${c.carrierId ?? 'carrier'} ${c.trackingNumber ?? ''}. Show the tracking number at any drop-off point, or print the label, and send the parcel to:`),
          ...returnLabel(v, 'Your return label'),
          { kind: 'lines', lines: (c.returnAddress ?? '').split('\n').filter(Boolean) },
          ...(c.receiveBy ? [p(`Please send it by ${v.date(c.receiveBy)}.`)] : []),
        ],
      };
    },
    return_received: (v) => {
      const c = v.context;
      return {
        subject: `Return ${c.returnId ?? ''} for order ${v.ref} received`,
        blocks: [
          p(`We received your return ${c.returnId ?? ''} of order ${v.ref}:`),
          { kind: 'items', items: (c.conditions ?? []).map((x) => ({ quantity: x.quantity, title: v.title(x.sku), note: en.condition[x.condition] ?? x.condition.replaceAll('_', ' ') })) },
          p('We will write again when your refund is on its way.'),
        ],
      };
    },
  },
};

const de: Wording = {
  colon: ': ',
  hello: (name) => (name ? `Hallo ${name},` : 'Hallo,'),
  trackParcel: 'Sendung verfolgen',
  trackingNumber: (carrier, number) => `Sendungsnummer${carrier ? ` (${carrier})` : ''}: ${number}`,
  expectedBy: (date) => `Voraussichtliche Zustellung bis ${date}.`,
  questions: (support) => `Fragen? Schreiben Sie uns an ${support}.`,
  sentBy: (seller) => `Eine Nachricht von ${seller} zu Ihrer Bestellung.`,
  condition: { resellable: 'einwandfrei', damaged: 'beschädigt', missing: 'fehlt' },
  templates: {
    order_confirmed: (v) => ({
      subject: `Bestellung ${v.ref} bestätigt`,
      blocks: [p(`Vielen Dank für Ihre Bestellung ${v.ref}. Wir bereiten sie vor:`), items(v, v.order.lines), p('Wir melden uns wieder, sobald sie versandt wird.')],
    }),
    backordered: (v) => ({
      subject: `Bestellung ${v.ref}: einige Artikel sind nachbestellt`,
      blocks: [p(`Einige Artikel der Bestellung ${v.ref} sind gerade nicht vorrätig:`), items(v, v.context.shortages), p('Wir versenden sie, sobald sie eintreffen.')],
    }),
    shipped: (v) => ({
      subject: `Bestellung ${v.ref} wurde versandt`,
      blocks: [p(`Ein Paket Ihrer Bestellung ${v.ref} ist unterwegs:`), items(v, v.context.lines), ...v.tracking(), ...expected(v, de.expectedBy)],
    }),
    out_for_delivery: (v) => ({
      subject: `Bestellung ${v.ref} wird heute zugestellt`,
      blocks: [p(`Ihr Paket der Bestellung ${v.ref} ist heute in der Zustellung.`), ...v.tracking()],
    }),
    delivered: (v) =>
      v.order.fulfillment.type !== 'ship'
        ? { subject: `Bestellung ${v.ref} abgeholt`, blocks: [p(`Sie haben die Bestellung ${v.ref} im Geschäft abgeholt. Vielen Dank!`)] }
        : { subject: `Bestellung ${v.ref} wurde zugestellt`, blocks: [p(`Ihr Paket der Bestellung ${v.ref} wurde zugestellt. Viel Freude damit!`), ...v.tracking()] },
    cancelled: (v) => ({
      subject: `Bestellung ${v.ref} wurde storniert`,
      blocks: [p(`Die Bestellung ${v.ref} wurde storniert${v.context.reason ? `: ${v.context.reason}` : ''}. Für nicht versandte Artikel wurde Ihnen nichts berechnet.`)],
    }),
    refund_issued: (v) => {
      const amount = v.context.amount !== undefined && v.context.currency ? v.money(v.context.amount, v.context.currency) : 'Ihre Erstattung';
      const how =
        v.context.refundStatus === 'to_refund_at_channel'
          ? `Ihre Erstattung von ${amount} wird über ${v.order.channel.channelId} ausgezahlt, wo Sie bezahlt haben.`
          : v.context.refundStatus === 'to_refund_manually'
            ? `Wir zahlen Ihnen ${amount} selbst zurück und melden uns, wie.`
            : v.context.refundStatus === 'store_credit'
              ? `Statt einer Erstattung haben wir Ihnen ein Guthaben von ${amount} ausgestellt. Ihr Code: ${v.context.storeCreditCode ?? ''}`
              : `Wir haben ${amount} auf Ihr Zahlungsmittel erstattet; je nach Bank ist der Betrag in wenigen Tagen sichtbar.`;
      return { subject: `Bestellung ${v.ref}: Erstattung von ${amount}`, blocks: [p(how), ...(v.context.reason ? [p(`Grund: ${v.context.reason}`)] : [])] };
    },
    exchange_shipped: (v) => {
      const c = v.context;
      const what = c.claimId
        ? `den Ersatz für die beschädigt angekommenen Artikel der Bestellung ${c.originalOrder ?? ''}`
        : `Ihren Umtausch zur Rücksendung ${c.returnId ?? ''} der Bestellung ${c.originalOrder ?? ''}`;
      return {
        subject: c.claimId ? `Ihr Ersatz für Bestellung ${c.originalOrder ?? ''} wurde versandt` : `Ihr Umtausch zur Rücksendung ${c.returnId ?? ''} wurde versandt`,
        blocks: [p(`Wir haben ${what} versandt (Bestellung ${v.ref}):`), items(v, c.lines), ...v.tracking(), ...expected(v, de.expectedBy)],
      };
    },
    return_approved: (v) => {
      const c = v.context;
      return {
        subject: `Rücksendung ${c.returnId ?? ''} zu Bestellung ${v.ref} genehmigt: Ihr Etikett`,
        blocks: [
          p(`Ihre Rücksendung ${c.returnId ?? ''} der Bestellung ${v.ref} ist genehmigt:`),
          items(v, c.lines),
          p(`Rücksendeetikett: ${c.carrierId ?? 'Versanddienst'} ${c.trackingNumber ?? ''}. Zeigen Sie die Sendungsnummer an einer Annahmestelle vor oder drucken Sie das Etikett aus, und senden Sie das Paket an:`),
          ...returnLabel(v, 'Ihr Rücksendeetikett'),
          { kind: 'lines', lines: (c.returnAddress ?? '').split('\n').filter(Boolean) },
          ...(c.receiveBy ? [p(`Bitte senden Sie es bis ${v.date(c.receiveBy)} ab.`)] : []),
        ],
      };
    },
    return_received: (v) => {
      const c = v.context;
      return {
        subject: `Rücksendung ${c.returnId ?? ''} zu Bestellung ${v.ref} erhalten`,
        blocks: [
          p(`Wir haben Ihre Rücksendung ${c.returnId ?? ''} der Bestellung ${v.ref} erhalten:`),
          { kind: 'items', items: (c.conditions ?? []).map((x) => ({ quantity: x.quantity, title: v.title(x.sku), note: de.condition[x.condition] ?? x.condition.replaceAll('_', ' ') })) },
          p('Wir melden uns wieder, sobald Ihre Erstattung unterwegs ist.'),
        ],
      };
    },
  },
};

const fr: Wording = {
  colon: ' : ',
  hello: (name) => (name ? `Bonjour ${name},` : 'Bonjour,'),
  trackParcel: 'Suivre votre colis',
  trackingNumber: (carrier, number) => `Numéro de suivi${carrier ? ` (${carrier})` : ''} : ${number}`,
  expectedBy: (date) => `Livraison prévue d’ici le ${date}.`,
  questions: (support) => `Une question ? Écrivez-nous à ${support}.`,
  sentBy: (seller) => `Message de ${seller} au sujet de votre commande.`,
  condition: { resellable: 'comme neuf', damaged: 'endommagé', missing: 'manquant' },
  templates: {
    order_confirmed: (v) => ({
      subject: `Commande ${v.ref} confirmée`,
      blocks: [p(`Merci pour votre commande ${v.ref}. Nous la préparons :`), items(v, v.order.lines), p('Nous vous écrirons dès son expédition.')],
    }),
    backordered: (v) => ({
      subject: `Commande ${v.ref} : certains articles sont en réapprovisionnement`,
      blocks: [p(`Certains articles de la commande ${v.ref} ne sont pas en stock pour le moment :`), items(v, v.context.shortages), p('Nous les expédierons dès leur arrivée.')],
    }),
    shipped: (v) => ({
      subject: `Commande ${v.ref} expédiée`,
      blocks: [p(`Un colis de votre commande ${v.ref} est en route :`), items(v, v.context.lines), ...v.tracking(), ...expected(v, fr.expectedBy)],
    }),
    out_for_delivery: (v) => ({
      subject: `Commande ${v.ref} en cours de livraison`,
      blocks: [p(`Votre colis de la commande ${v.ref} est en cours de livraison aujourd’hui.`), ...v.tracking()],
    }),
    delivered: (v) =>
      v.order.fulfillment.type !== 'ship'
        ? { subject: `Commande ${v.ref} retirée`, blocks: [p(`Vous avez retiré la commande ${v.ref} en magasin. Merci !`)] }
        : { subject: `Commande ${v.ref} livrée`, blocks: [p(`Votre colis de la commande ${v.ref} a été livré. Nous espérons qu’il vous plaira.`), ...v.tracking()] },
    cancelled: (v) => ({
      subject: `Commande ${v.ref} annulée`,
      blocks: [p(`La commande ${v.ref} a été annulée${v.context.reason ? ` : ${v.context.reason}` : ''}. Rien ne vous a été facturé pour ce qui n’a pas été expédié.`)],
    }),
    refund_issued: (v) => {
      const amount = v.context.amount !== undefined && v.context.currency ? v.money(v.context.amount, v.context.currency) : 'votre remboursement';
      const how =
        v.context.refundStatus === 'to_refund_at_channel'
          ? `Votre remboursement de ${amount} vous sera versé via ${v.order.channel.channelId}, où vous avez payé.`
          : v.context.refundStatus === 'to_refund_manually'
            ? `Nous vous rembourserons ${amount} nous-mêmes et vous contacterons pour savoir comment.`
            : v.context.refundStatus === 'store_credit'
              ? `Au lieu d’un remboursement, nous vous avons émis un avoir de ${amount}. Votre code : ${v.context.storeCreditCode ?? ''}`
              : `Nous avons remboursé ${amount} sur votre moyen de paiement ; selon votre banque, il apparaîtra sous quelques jours.`;
      return { subject: `Commande ${v.ref} : remboursement de ${amount}`, blocks: [p(how), ...(v.context.reason ? [p(`Motif : ${v.context.reason}`)] : [])] };
    },
    exchange_shipped: (v) => {
      const c = v.context;
      const what = c.claimId
        ? `le remplacement des articles de la commande ${c.originalOrder ?? ''} arrivés endommagés`
        : `votre échange pour le retour ${c.returnId ?? ''} de la commande ${c.originalOrder ?? ''}`;
      return {
        subject: c.claimId ? `Votre remplacement pour la commande ${c.originalOrder ?? ''} est expédié` : `Votre échange pour le retour ${c.returnId ?? ''} est expédié`,
        blocks: [p(`Nous avons expédié ${what} (commande ${v.ref}) :`), items(v, c.lines), ...v.tracking(), ...expected(v, fr.expectedBy)],
      };
    },
    return_approved: (v) => {
      const c = v.context;
      return {
        subject: `Retour ${c.returnId ?? ''} de la commande ${v.ref} accepté : votre étiquette`,
        blocks: [
          p(`Votre retour ${c.returnId ?? ''} de la commande ${v.ref} est accepté :`),
          items(v, c.lines),
          p(`Étiquette de retour : ${c.carrierId ?? 'transporteur'} ${c.trackingNumber ?? ''}. Présentez le numéro de suivi dans un point de dépôt, ou imprimez l’étiquette, et envoyez le colis à :`),
          ...returnLabel(v, 'Votre étiquette de retour'),
          { kind: 'lines', lines: (c.returnAddress ?? '').split('\n').filter(Boolean) },
          ...(c.receiveBy ? [p(`Merci de l’envoyer avant le ${v.date(c.receiveBy)}.`)] : []),
        ],
      };
    },
    return_received: (v) => {
      const c = v.context;
      return {
        subject: `Retour ${c.returnId ?? ''} de la commande ${v.ref} reçu`,
        blocks: [
          p(`Nous avons reçu votre retour ${c.returnId ?? ''} de la commande ${v.ref} :`),
          { kind: 'items', items: (c.conditions ?? []).map((x) => ({ quantity: x.quantity, title: v.title(x.sku), note: fr.condition[x.condition] ?? x.condition.replaceAll('_', ' ') })) },
          p('Nous vous écrirons dès que votre remboursement sera en route.'),
        ],
      };
    },
  },
};

const wordings: Record<SupportedLocale, Wording> = { en, de, fr };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Only web links become links; anything else (javascript:, data:) is shown as text. */
function safeUrl(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

function moneyIn(locale: SupportedLocale) {
  return (amount: number, currency: string): string => {
    // English keeps the OMS's one money format (timeline, documents); the others use their own conventions.
    if (locale === 'en') return formatMoney(amount, currency);
    const exponent = minorUnitExponent(currency);
    try {
      const format = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: exponent, maximumFractionDigits: exponent });
      return format.format(formatDecimal(amount, currency) as unknown as number);
    } catch {
      return `${formatDecimal(amount, currency)} ${currency}`;
    }
  };
}

function dateIn(locale: SupportedLocale) {
  const format = new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : locale, { dateStyle: 'long', timeZone: 'UTC' });
  return (iso: string): string => {
    const day = new Date(`${iso.slice(0, 10)}T00:00:00Z`);
    return Number.isNaN(day.getTime()) ? iso.slice(0, 10) : format.format(day);
  };
}

/**
 * The e-mail of one template for one order in one locale: subject, HTML part
 * and plain-text part. Pure: the same input renders the same bytes.
 */
export function renderEmail(template: NotificationTemplate, order: MessageOrder, context: NotificationContext, locale: SupportedLocale, sender: Sender): RenderedEmail {
  const w = wordings[locale];
  const firstName = order.customer.name?.trim().split(/\s+/)[0];
  const view: View = {
    ref: order.channel.externalNumber ?? order.orderId,
    order,
    context,
    title: (sku) => order.lines.find((l) => l.sku === sku)?.title || sku,
    money: moneyIn(locale),
    date: dateIn(locale),
    tracking: () => {
      if (!context.trackingNumber && !context.trackingUrl) return [];
      return [
        ...(context.trackingUrl ? [{ kind: 'link', label: w.trackParcel, url: context.trackingUrl } as Block] : []),
        ...(context.trackingNumber ? [p(w.trackingNumber(context.carrierId, context.trackingNumber))] : []),
      ];
    },
  };
  const message = w.templates[template](view);
  const blocks = [p(w.hello(firstName)), ...message.blocks];
  const footer = [w.sentBy(sender.sellerName), ...(sender.supportEmail ? [w.questions(sender.supportEmail)] : [])];
  return {
    subject: message.subject.replace(/\s+/g, ' ').trim(),
    text: textPart(blocks, footer, sender.sellerName, w.colon),
    html: htmlPart(message.subject, blocks, footer, sender, locale),
    locale,
  };
}

function textPart(blocks: Block[], footer: string[], seller: string, colon: string): string {
  const parts = blocks.map((block) => {
    switch (block.kind) {
      case 'p':
        return block.text;
      case 'items':
        return block.items.map((i) => `  ${i.quantity} × ${i.title}${i.note ? `${colon}${i.note}` : ''}`).join('\n');
      case 'link':
        return `${block.label}${colon}${block.url}`;
      case 'lines':
        return block.lines.map((l) => `  ${l}`).join('\n');
    }
  });
  return [...parts.filter((x) => x.length > 0), ['-- ', seller, ...footer].join('\n')].join('\n\n');
}

const FONT = 'font-family:Helvetica,Arial,sans-serif;';

function htmlPart(subject: string, blocks: Block[], footer: string[], sender: Sender, locale: SupportedLocale): string {
  const e = escapeHtml;
  const body = blocks
    .map((block) => {
      switch (block.kind) {
        case 'p':
          return `<p style="margin:0 0 16px;${FONT}font-size:15px;line-height:22px;color:#1f2933;">${e(block.text)}</p>`;
        case 'items':
          if (block.items.length === 0) return '';
          return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;margin:0 0 16px;">${block.items
            .map(
              (i) =>
                `<tr><td style="${FONT}font-size:15px;color:#1f2933;padding:6px 8px 6px 0;border-bottom:1px solid #e4e7eb;width:48px;white-space:nowrap;">${e(String(i.quantity))} ×</td><td style="${FONT}font-size:15px;color:#1f2933;padding:6px 0;border-bottom:1px solid #e4e7eb;">${e(i.title)}${i.note ? ` <span style="color:#616e7c;">(${e(i.note)})</span>` : ''}</td></tr>`,
            )
            .join('')}</table>`;
        case 'link': {
          const url = safeUrl(block.url);
          if (!url) return `<p style="margin:0 0 16px;${FONT}font-size:15px;color:#1f2933;">${e(block.label)}: ${e(block.url)}</p>`;
          return `<p style="margin:0 0 16px;"><a href="${e(url)}" style="display:inline-block;background:#1f4e79;color:#ffffff;${FONT}font-size:15px;font-weight:bold;text-decoration:none;padding:10px 18px;border-radius:4px;">${e(block.label)}</a></p>`;
        }
        case 'lines':
          return block.lines.length === 0 ? '' : `<p style="margin:0 0 16px;${FONT}font-size:15px;line-height:22px;color:#1f2933;">${block.lines.map(e).join('<br>')}</p>`;
      }
    })
    .join('');
  const support = sender.supportEmail
    ? footer[1]?.split(sender.supportEmail).map(e).join(`<a href="mailto:${e(sender.supportEmail)}" style="color:#1f4e79;">${e(sender.supportEmail)}</a>`)
    : undefined;
  return [
    '<!DOCTYPE html>',
    `<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(subject)}</title></head>`,
    '<body style="margin:0;padding:0;background:#f5f7fa;">',
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f5f7fa;"><tr><td align="center" style="padding:24px 12px;">',
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:600px;background:#ffffff;border:1px solid #e4e7eb;border-radius:6px;">',
    `<tr><td style="padding:20px 24px;border-bottom:1px solid #e4e7eb;${FONT}font-size:18px;font-weight:bold;color:#1f2933;">${e(sender.sellerName)}</td></tr>`,
    `<tr><td style="padding:24px;">${body}</td></tr>`,
    `<tr><td style="padding:16px 24px;border-top:1px solid #e4e7eb;${FONT}font-size:12px;line-height:18px;color:#616e7c;">${e(footer[0] ?? '')}${support ? `<br>${support}` : ''}</td></tr>`,
    '</table></td></tr></table></body></html>',
  ].join('\n');
}

/** Sample order and context of each template, for the preview route (invented data, no customer's). */
export function sampleMessage(template: NotificationTemplate): { order: MessageOrder; context: NotificationContext } {
  const order: MessageOrder = {
    orderId: '01JSAMPLE000000000000000000',
    channel: { channelId: 'web-store', externalNumber: '#1001' },
    customer: { name: 'Alex Example' },
    lines: [
      { sku: 'MUG-CER-350', title: 'Ceramic mug 350 ml', quantity: 2 },
      { sku: 'TEA-GRN-100', title: 'Green tea 100 g', quantity: 1 },
    ],
    fulfillment: { type: 'ship' },
  };
  const parcel = {
    shipmentId: '01JSAMPLEPARCEL00000000000',
    carrierId: 'parcelco',
    trackingNumber: 'PC123456789',
    trackingUrl: 'https://track.example.com/parcelco/PC123456789',
    estimatedDelivery: '2026-12-03T18:00:00.000Z',
    lines: [{ sku: 'MUG-CER-350', quantity: 2 }],
  };
  const contexts: Record<NotificationTemplate, NotificationContext> = {
    order_confirmed: {},
    backordered: { shortages: [{ sku: 'TEA-GRN-100', quantity: 1 }] },
    shipped: parcel,
    out_for_delivery: parcel,
    delivered: parcel,
    cancelled: { reason: 'out of stock' },
    return_approved: {
      returnId: 'RMA-1001',
      lines: [{ sku: 'MUG-CER-350', quantity: 1 }],
      carrierId: 'parcelco',
      trackingNumber: 'PCR987654321',
      trackingUrl: 'https://track.example.com/parcelco/PCR987654321',
      returnAddress: 'Returns centre\n1 Example Street\n12345 Example City\nDE',
      receiveBy: '2026-12-31T00:00:00.000Z',
    },
    return_received: { returnId: 'RMA-1001', conditions: [{ sku: 'MUG-CER-350', quantity: 1, condition: 'resellable' }] },
    refund_issued: { amount: 1990, currency: 'EUR', refundStatus: 'refunded' },
    exchange_shipped: { ...parcel, returnId: 'RMA-1001', originalOrder: '#1000' },
  };
  return { order, context: contexts[template] };
}
