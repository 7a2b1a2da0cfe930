<?xml version="1.0" encoding="utf-8"?>
<!-- Opened in a browser, an RSS or Atom feed of Platforma shows as a page saying what it is and how to follow
     it. Feed readers ignore this file. No inline script or style: the page uses the site's stylesheet. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:atom="http://www.w3.org/2005/Atom"
                exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="utf-8" doctype-system="about:legacy-compat"/>

  <xsl:variable name="lang" select="substring(concat(/rss/channel/language, /atom:feed/@xml:lang), 1, 2)"/>
  <xsl:variable name="fr" select="$lang = 'fr'"/>

  <xsl:template match="/">
    <html lang="{$lang}">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="/rss/channel/title | /atom:feed/atom:title"/></title>
        <link rel="stylesheet" href="/static/css/site.css"/>
      </head>
      <body>
        <header class="site-header">
          <div class="wrap"><div class="brand-block"><span class="brand">Platforma</span></div></div>
        </header>
        <main class="wrap feed-page">
          <h1><xsl:value-of select="/rss/channel/title | /atom:feed/atom:title"/></h1>
          <p class="intro">
            <xsl:choose>
              <xsl:when test="$fr">Ceci est un flux (RSS ou Atom) : une adresse à suivre dans un lecteur de flux, qui vous signale les organisations nouvelles ou mises à jour correspondant à cette recherche.</xsl:when>
              <xsl:otherwise>This is a feed (RSS or Atom): an address to follow in a feed reader, which tells you about new or updated organisations matching this search.</xsl:otherwise>
            </xsl:choose>
          </p>
          <h2><xsl:choose><xsl:when test="$fr">Comment s’abonner</xsl:when><xsl:otherwise>How to subscribe</xsl:otherwise></xsl:choose></h2>
          <ol>
            <li><xsl:choose><xsl:when test="$fr">Copiez l’adresse de cette page depuis la barre d’adresse du navigateur.</xsl:when><xsl:otherwise>Copy this page’s address from the browser’s address bar.</xsl:otherwise></xsl:choose></li>
            <li><xsl:choose><xsl:when test="$fr">Collez-la dans votre lecteur de flux (Thunderbird, Feedly, NetNewsWire, Inoreader…) avec « Ajouter un flux » ou « S’abonner ».</xsl:when><xsl:otherwise>Paste it into your feed reader (Thunderbird, Feedly, NetNewsWire, Inoreader…) with “Add feed” or “Subscribe”.</xsl:otherwise></xsl:choose></li>
          </ol>
          <p>
            <a href="{/rss/channel/link | /atom:feed/atom:link[@rel='alternate']/@href}">
              <xsl:choose><xsl:when test="$fr">Voir cette recherche dans l’annuaire</xsl:when><xsl:otherwise>See this search in the directory</xsl:otherwise></xsl:choose>
            </a>
          </p>
          <h2><xsl:choose><xsl:when test="$fr">Dans ce flux aujourd’hui</xsl:when><xsl:otherwise>In this feed today</xsl:otherwise></xsl:choose></h2>
          <ul class="result-list">
            <xsl:for-each select="/rss/channel/item | /atom:feed/atom:entry">
              <li class="result">
                <h3><a href="{link | atom:link[@rel='alternate']/@href}"><xsl:value-of select="title | atom:title"/></a></h3>
              </li>
            </xsl:for-each>
          </ul>
        </main>
      </body>
    </html>
  </xsl:template>
</xsl:stylesheet>
