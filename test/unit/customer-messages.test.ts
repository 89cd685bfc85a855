import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { escapeHtml, renderEmail, resolveLocale, sampleMessage, supportedLocales, type MessageOrder } from '#shared/domain/customer-messages.ts';
import { feedbackMessage, mailFeedbackOf } from '#shared/domain/mail-feedback.ts';
import { NotificationTemplate } from '#shared/domain/notification.ts';
import { previewTemplate } from '#shared/use-cases/notifications.ts';
import { NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { AmazonOrder, AmazonOrderItem, MARKETPLACE_LANGUAGES, amazonToDraft } from '#shared/channels/amazon.ts';
import { ApiOrderInput } from '#shared/channels/api-order.ts';
import { ShopifyOrder, shopifyToDraft } from '#shared/channels/shopify.ts';
import { fixture } from '../support/channel-fixtures.ts';
import { must } from '../support/fixtures.ts';

const sender = { sellerName: 'Fixture Goods', supportEmail: 'help@shop.example.com' };
const templates = NotificationTemplate.options;

describe('customer e-mail templates', () => {
  it('render every message type in every locale with a subject, an HTML part and a plain-text part that carry the same facts', () => {
    for (const template of templates) {
      const { order, context } = sampleMessage(template);
      const subjects = new Set<string>();
      for (const locale of supportedLocales) {
        const mail = renderEmail(template, order, context, locale, sender);
        expect(mail.locale).toBe(locale);
        expect(mail.subject.length, `${template}/${locale}`).toBeGreaterThan(5);
        expect(mail.subject).not.toMatch(/undefined|\[object/);
        expect(mail.text).not.toMatch(/undefined|\[object|<\w/);
        expect(mail.html).toMatch(new RegExp(`^<!DOCTYPE html>\\n<html lang="${locale}">`));
        // The merchant's name and support address in both parts; the order's reference in the subject.
        for (const part of [mail.text, mail.html]) {
          expect(part).toContain('Fixture Goods');
          expect(part).toContain('help@shop.example.com');
        }
        expect(mail.html).toContain('href="mailto:help@shop.example.com"');
        subjects.add(mail.subject);
      }
      // Each locale has its own wording.
      expect(subjects.size, template).toBe(supportedLocales.length);
    }
  });

  it('use inline styles only and no remote images or scripts', () => {
    for (const template of templates) {
      const { order, context } = sampleMessage(template);
      const { html } = renderEmail(template, order, context, 'en', sender);
      expect(html).not.toMatch(/<style|<img|<script|<link|url\(|src=/i);
      expect(html).toContain('style="');
    }
  });

  it('link the tracking page of a parcel and the return label, in both parts', () => {
    const shipped = sampleMessage('shipped');
    const mail = renderEmail('shipped', shipped.order, shipped.context, 'de', sender);
    expect(mail.subject).toBe('Bestellung #1001 wurde versandt');
    expect(mail.html).toContain('<a href="https://track.example.com/parcelco/PC123456789"');
    expect(mail.html).toContain('Sendung verfolgen');
    expect(mail.text).toContain('Sendung verfolgen: https://track.example.com/parcelco/PC123456789');
    expect(mail.text).toContain('Sendungsnummer (parcelco): PC123456789');
    expect(mail.text).toContain('2 × Ceramic mug 350 ml');
    expect(mail.text).toContain('Voraussichtliche Zustellung bis 3. Dezember 2026.');

    const ret = sampleMessage('return_approved');
    const label = renderEmail('return_approved', ret.order, { ...ret.context, labelUrl: 'https://labels.example.com/PCR987654321.pdf' }, 'fr', sender);
    expect(label.html).toContain('<a href="https://labels.example.com/PCR987654321.pdf"');
    expect(label.text).toContain('Votre étiquette de retour : https://labels.example.com/PCR987654321.pdf');
    expect(label.text).toContain('PCR987654321');
    expect(label.html).toContain('Returns centre<br>1 Example Street<br>12345 Example City<br>DE');
  });

  it('format money and dates the locale\'s way', () => {
    const refund = sampleMessage('refund_issued');
    expect(renderEmail('refund_issued', refund.order, refund.context, 'en', sender).subject).toBe('Order #1001: refund of €19.90');
    expect(renderEmail('refund_issued', refund.order, refund.context, 'de', sender).subject).toMatch(/^Bestellung #1001: Erstattung von 19,90\s€$/);
    expect(renderEmail('refund_issued', refund.order, refund.context, 'fr', sender).subject).toMatch(/^Commande #1001 : remboursement de 19,90\s€$/);
  });

  it('escape every interpolated value: a hostile customer name, product title, reason or link cannot inject markup', () => {
    const order: MessageOrder = {
      orderId: '01JHOSTILE',
      channel: { channelId: 'web', externalNumber: '<b>#1</b>' },
      customer: { name: '<script>alert("x")</script> "Mallory" & co' },
      lines: [{ sku: 'S-1', title: '<img src=x onerror=alert(1)>', quantity: 1 }],
      fulfillment: { type: 'ship' },
    };
    const mail = renderEmail('shipped', order, { lines: [{ sku: 'S-1', quantity: 1 }], trackingUrl: 'javascript:alert(1)', trackingNumber: '"><svg onload=alert(1)>' }, 'en', { sellerName: 'Shop <i>', supportEmail: 'a"b@example.com' });
    expect(mail.html).not.toMatch(/<script|<img|<svg|<b>|<i>|href="javascript/i);
    expect(mail.html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
    expect(mail.html).toContain('&#60;img src=x onerror=alert(1)&#62;');
    // A link that is not a web address is shown as text, not linked.
    expect(mail.html).toContain('javascript:alert(1)</p>');
    // The plain-text part keeps the values as they are (a text part is not markup).
    expect(mail.text).toContain('Hello <script>alert("x")</script>,');
    expect(escapeHtml(`&<>"'\``)).toBe('&#38;&#60;&#62;&#34;&#39;&#96;');
  });

  it('say "collected" for a pickup, and list the shortages of a backorder and the condition of returned items', () => {
    const { order } = sampleMessage('delivered');
    expect(renderEmail('delivered', { ...order, fulfillment: { type: 'pickup' } }, {}, 'fr', sender).subject).toBe('Commande #1001 retirée');
    const back = sampleMessage('backordered');
    expect(renderEmail('backordered', back.order, back.context, 'en', sender).text).toContain('1 × Green tea 100 g');
    const received = sampleMessage('return_received');
    expect(renderEmail('return_received', received.order, received.context, 'de', sender).text).toContain('1 × Ceramic mug 350 ml: einwandfrei');
  });

  it('leave the support line out when the merchant set no support address', () => {
    const { order, context } = sampleMessage('order_confirmed');
    const mail = renderEmail('order_confirmed', order, context, 'en', { sellerName: 'Fixture Goods' });
    expect(mail.text).not.toContain('Questions?');
    expect(mail.html).not.toContain('mailto:');
  });
});

describe('the locale of a message', () => {
  it('is the order\'s language when the OMS has wording for it, else the merchant\'s default, else English', () => {
    expect(resolveLocale('de-DE', 'en')).toEqual({ locale: 'de', fellBack: false });
    expect(resolveLocale('fr_CA', 'en')).toEqual({ locale: 'fr', fellBack: false });
    expect(resolveLocale('FR', 'en')).toEqual({ locale: 'fr', fellBack: false });
    expect(resolveLocale('es-ES', 'de')).toEqual({ locale: 'de', fellBack: true });
    expect(resolveLocale(undefined, 'fr')).toEqual({ locale: 'fr', fellBack: false });
    expect(resolveLocale('ja', 'pt')).toEqual({ locale: 'en', fellBack: true });
    expect(resolveLocale('not a locale!', 'de')).toEqual({ locale: 'de', fellBack: true });
    expect(resolveLocale(undefined, undefined)).toEqual({ locale: 'en', fellBack: false });
  });

  it('comes from the Amazon marketplace (Amazon sends no buyer language)', () => {
    expect(MARKETPLACE_LANGUAGES['A1PA6795UKMFR9']).toBe('de-DE');
    expect(MARKETPLACE_LANGUAGES['A13V1IB3VIYZZH']).toBe('fr-FR');
    const { payload } = fixture<{ payload: { Orders: Record<string, unknown>[] } }>('amazon-spapi-getOrders.json');
    const { payload: itemsPayload } = fixture<{ payload: { OrderItems: unknown[] } }>('amazon-spapi-getOrderItems.json');
    const items = itemsPayload.OrderItems.map((i) => AmazonOrderItem.parse(i));
    expect(amazonToDraft(AmazonOrder.parse(payload.Orders[0]), items, { channelId: 'amazon-us' }).customer.locale).toBe('en-US');
    expect(amazonToDraft(AmazonOrder.parse({ ...payload.Orders[0], MarketplaceId: 'A1PA6795UKMFR9' }), items, { channelId: 'amazon-de' }).customer.locale).toBe('de-DE');
  });

  it('comes from Shopify\'s customer_locale, kept only when it is a language tag (never a reason to refuse the order)', () => {
    const order = fixture<Record<string, unknown>>('shopify-orders-create.json');
    expect(shopifyToDraft(ShopifyOrder.parse({ ...order, customer_locale: 'fr-FR' }), { channelId: 's' }).customer.locale).toBe('fr-FR');
    expect(shopifyToDraft(ShopifyOrder.parse({ ...order, customer_locale: 'not a locale' }), { channelId: 's' }).customer).not.toHaveProperty('locale');
    expect(shopifyToDraft(ShopifyOrder.parse({ ...order, customer_locale: null }), { channelId: 's' }).customer).not.toHaveProperty('locale');
  });

  it('is given by the REST API caller in customer.locale (a language tag, else 422 naming it)', () => {
    const input = { channelId: 'web-store', currency: 'EUR', lines: [{ sku: 'S-1', title: 'T', quantity: 1, unitPrice: 100 }] };
    const issuesAt = (locale: string) => (ApiOrderInput.safeParse({ ...input, customer: { locale } }).error?.issues ?? []).filter((i) => i.path.join('.') === 'customer.locale');
    expect(issuesAt('de-AT')).toEqual([]);
    expect(issuesAt('de;DROP')).toEqual([expect.objectContaining({ message: 'Expected a BCP 47 language tag such as en, de-DE or fr' })]);
  });
});

describe('the template preview', () => {
  const settings = { sender, defaultLocale: 'en' };

  it('renders sample data in the requested locale', () => {
    const preview = previewTemplate(settings, 'order_confirmed', 'fr-FR');
    expect(preview).toMatchObject({ locale: 'fr', subject: 'Commande #1001 confirmée', supportedLocales: ['en', 'de', 'fr'] });
    expect(preview).not.toHaveProperty('fallbackFrom');
    expect(preview.html).toContain('Alex');
  });

  it('falls back to the merchant\'s default for a locale without wording, and says so', () => {
    expect(previewTemplate({ sender, defaultLocale: 'de' }, 'shipped', 'es')).toMatchObject({ locale: 'de', fallbackFrom: 'es' });
    expect(previewTemplate(settings, 'shipped', undefined)).toMatchObject({ locale: 'en' });
  });

  it('answers 404 for an unknown type and 422 naming locale for a value that is no language tag', () => {
    expect(() => previewTemplate(settings, 'birthday', 'en')).toThrow(NotFoundError);
    try {
      previewTemplate(settings, 'shipped', 'en;drop');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).details).toEqual([expect.objectContaining({ in: 'query', path: 'locale' })]);
    }
  });
});

describe('SES feedback', () => {
  const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/providers/${name}`, import.meta.url), 'utf8')) as { Message: string };

  it('reads a permanent bounce (suppress) and a complaint (suppress) from the SNS notifications SES publishes', () => {
    const bounce = mailFeedbackOf(JSON.parse(fixture('ses-sns-bounce-notification.json').Message));
    expect(bounce).toMatchObject({
      kind: 'bounce',
      type: 'Permanent',
      subType: 'General',
      sesMessageId: '0100019a7f3c2a10-1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9-000000',
      recipients: [{ email: 'no-such-user@example.com', detail: 'smtp; 550 5.1.1 <no-such-user@example.com>... User unknown' }],
      suppress: true,
    });
    expect(feedbackMessage(must(bounce), must(bounce?.recipients[0]), 'shipped')).toBe(
      'The shipped e-mail to no-such-user@example.com bounced (Permanent/General): smtp; 550 5.1.1 <no-such-user@example.com>... User unknown. The address gets no more messages.',
    );
    const complaint = mailFeedbackOf(JSON.parse(fixture('ses-sns-complaint-notification.json').Message));
    expect(complaint).toMatchObject({ kind: 'complaint', type: 'abuse', recipients: [{ email: 'jordan.buyer@example.com' }], suppress: true });
  });

  it('does not suppress a transient or undetermined bounce, reads event publishing (eventType, tags) and ignores deliveries', () => {
    const message = JSON.parse(fixture('ses-sns-bounce-notification.json').Message) as Record<string, Record<string, unknown>>;
    const transient = { ...message, bounce: { ...message['bounce'], bounceType: 'Transient', bounceSubType: 'MailboxFull' } };
    expect(mailFeedbackOf(transient)).toMatchObject({ type: 'Transient', suppress: false });
    expect(mailFeedbackOf({ ...message, bounce: { ...message['bounce'], bounceType: 'Undetermined' } })).toMatchObject({ suppress: false });
    const published = { ...message, notificationType: undefined, eventType: 'Bounce', mail: { ...message['mail'], tags: { orderId: ['01JORDER'] } } };
    expect(mailFeedbackOf(published)).toMatchObject({ kind: 'bounce', taggedOrderId: '01JORDER' });
    expect(mailFeedbackOf({ notificationType: 'Delivery', mail: { messageId: 'm-1' }, delivery: {} })).toBeUndefined();
    expect(() => mailFeedbackOf({ notificationType: 'Bounce' })).toThrow();
  });
});
